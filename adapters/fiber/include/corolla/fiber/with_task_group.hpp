// with_task_group for fibers (`async with asyncio.TaskGroup() as tg:`): runs the body
// inline in the calling fiber with a task_group, then waits for every task of the group
// (coroutine or fiber tasks alike) and reports the outcome as corolla/core/task_group.hpp
// describes.
//
//     corolla::with_task_group([&](corolla::task_group& tg) {
//         tg.create_task(corolla::as_fiber(worker, 1));
//         tg.create_task(coroutine_worker(2));
//     });
#pragma once

#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>

#include <corolla/core/task_group.hpp>
#include <corolla/fiber/fiber.hpp>

namespace corolla {

namespace detail {
void finish_task_group_inline(task_group& tg, std::exception_ptr body_error);
}  // namespace detail

/// Runs `body(tg)` in the calling fiber, then awaits the group's tasks. Returns the body's
/// value, or throws exception_group / cancelled_error as task_group describes.
template <class F>
requires std::invocable<F&, task_group&> &&(!detail::coroutine_type<std::invoke_result_t<F&, task_group&>>)
    std::invoke_result_t<F&, task_group&> with_task_group(F body) {
    using R = std::invoke_result_t<F&, task_group&>;
    task_group tg;
    tg.enter();
    std::exception_ptr error;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
    try {
        if constexpr (std::is_void_v<R>) {
            body(tg);
            value.emplace(true);
        } else {
            value.emplace(body(tg));
        }
    } catch (const detail::fiber_unwind&) {
        throw;
    } catch (...) {
        error = std::current_exception();
    }
    detail::finish_task_group_inline(tg, error);
    if (!value) std::rethrow_exception(error);  // finish_task_group_inline throws first
    if constexpr (!std::is_void_v<R>) return std::move(*value);
}

}  // namespace corolla
