// with_task_group for coroutines (`async with asyncio.TaskGroup() as tg:`): runs the
// body inline with a task_group, then waits for every task of the group and reports the
// outcome as corolla/core/task_group.hpp describes.
//
//     co_await corolla::with_task_group([&](corolla::task_group& tg) -> coro<void> {
//         tg.create_task(worker(1));
//         tg.create_task(worker(2));
//         co_return;
//     });
#pragma once

#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>

#include <corolla/core/task_group.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

namespace corolla {

namespace detail {

inline coro<void> finish_task_group(task_group& tg, std::exception_ptr body_error) {
    tg.begin_exit(body_error);
    while (tg.size() > 0) {
        std::exception_ptr interrupted;
        try {
            co_await tg.children_done();
        } catch (...) {
            interrupted = std::current_exception();
        }
        if (interrupted) tg.wait_interrupted(interrupted);
    }
    tg.end_exit();
}

}  // namespace detail

/// Runs `body(tg)` in the current task, then awaits the group's tasks. Returns the body's
/// value, or throws exception_group / cancelled_error as task_group describes.
template <class F>
requires std::invocable<F&, task_group&> &&
    detail::is_coro<std::invoke_result_t<F&, task_group&>>::value std::invoke_result_t<F&, task_group&>
    with_task_group(F body) {
    using R = typename std::invoke_result_t<F&, task_group&>::value_type;
    task_group tg;
    tg.enter();
    std::exception_ptr error;
    if constexpr (std::is_void_v<R>) {
        try {
            co_await body(tg);
        } catch (...) {
            error = std::current_exception();
        }
        co_await detail::finish_task_group(tg, error);
    } else {
        std::optional<R> value;
        try {
            value.emplace(co_await body(tg));
        } catch (...) {
            error = std::current_exception();
        }
        co_await detail::finish_task_group(tg, error);
        if (!value) std::rethrow_exception(error);  // finish_task_group always throws then
        co_return std::move(*value);
    }
}

}  // namespace corolla
