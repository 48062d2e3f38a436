// Test bodies written once for both execution styles. A test source built with STYLES in
// corolla_add_test spells suspension with these macros instead of co_await / co_return;
// CMake compiles it once per style (COROLLA_TEST_STYLE_CORO, COROLLA_TEST_STYLE_FIBER):
//
//   TASK(int) add(int a, int b) { RETURN a + b; }    task code, named or lambda (-> TASK(T))
//   AWAIT(fut)                                        suspend until a future/task is done
//   CALL(add(1, 2))                                   run task code inline (a sub-call, or a
//                                                     scope such as timeout / with_task_group)
//   test::spawn(loop, fn, args...)                    a task running fn(args...)
//   test::run_main(options, fn, args...)              corolla::run with fn(args...) as main
//   test::submit_threadsafe(loop, fn, args...)        run_coroutine_threadsafe of fn(args...)
//   test::code(fn, args...)                           task code for task_group::create_task
//                                                     (arguments as for std::thread: std::ref)
#pragma once

#include <string>
#include <utility>

#include <corolla/core/event_loop.hpp>

#if defined(COROLLA_TEST_STYLE_FIBER)

#include <functional>
#include <tuple>

#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/run.hpp>
#include <corolla/fiber/spawn_fiber_threadsafe.hpp>
#include <corolla/fiber/timeout.hpp>
#include <corolla/fiber/with_task_group.hpp>

#define TASK(...) __VA_ARGS__
#define AWAIT(...) (::corolla::await(__VA_ARGS__))
#define CALL(...) (__VA_ARGS__)
#define RETURN return

namespace corolla::test {

inline constexpr const char* style_name = "fiber";

/// A task on `loop` running fn(args...) on a fiber.
template <class F, class... A>
auto spawn(corolla::event_loop& loop, F fn, A... args) {
    return corolla::spawn_fiber(loop, std::move(fn), std::move(args)...);
}
template <class F, class... A>
auto spawn_named(corolla::event_loop& loop, std::string name, F fn, A... args) {
    return corolla::spawn_fiber(loop, corolla::fiber_options{std::move(name)}, std::move(fn), std::move(args)...);
}

/// corolla::run of fn(args...) as the main task.
template <class F, class... A>
auto run_main(corolla::run_options options, F fn, A... args) {
    return corolla::run(
        [fn = std::move(fn), args = std::make_tuple(std::move(args)...)]() mutable {
            return std::apply(std::move(fn), std::move(args));
        },
        std::move(options));
}

/// spawn_fiber_threadsafe of fn(args...), from any thread.
template <class F, class... A>
auto submit_threadsafe(corolla::event_loop& loop, F fn, A... args) {
    return corolla::spawn_fiber_threadsafe(loop, std::move(fn), std::move(args)...);
}

/// Task code for task_group::create_task.
template <class F, class... A>
auto code(F fn, A&&... args) {
    return corolla::as_fiber(std::move(fn), std::forward<A>(args)...);
}

}  // namespace corolla::test

#elif defined(COROLLA_TEST_STYLE_CORO)

#include <functional>

#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/coro/run.hpp>
#include <corolla/coro/run_coroutine_threadsafe.hpp>

#define TASK(...) ::corolla::coro<__VA_ARGS__>
#define AWAIT(...) (co_await (__VA_ARGS__))
#define CALL(...) (co_await (__VA_ARGS__))
#define RETURN co_return

namespace corolla::test {

inline constexpr const char* style_name = "coro";

namespace detail {
// Keeps the callable (a lambda's captures) alive in a frame for as long as its coroutine runs.
template <class F, class... A>
auto invoke_owned(F fn, A... args) -> decltype(fn(std::move(args)...)) {
    co_return co_await fn(std::move(args)...);
}
}  // namespace detail

/// A task on `loop` running fn(args...); fn and args are kept alive by the task.
template <class F, class... A>
auto spawn(corolla::event_loop& loop, F fn, A... args) {
    return corolla::create_task(loop, detail::invoke_owned(std::move(fn), std::move(args)...));
}
template <class F, class... A>
auto spawn_named(corolla::event_loop& loop, std::string name, F fn, A... args) {
    return corolla::create_task(loop, detail::invoke_owned(std::move(fn), std::move(args)...), std::move(name));
}

/// corolla::run of fn(args...) as the main task.
template <class F, class... A>
auto run_main(corolla::run_options options, F fn, A... args) {
    return corolla::run(detail::invoke_owned(std::move(fn), std::move(args)...), std::move(options));
}

/// corolla::run_coroutine_threadsafe of fn(args...), from any thread.
template <class F, class... A>
auto submit_threadsafe(corolla::event_loop& loop, F fn, A... args) {
    return corolla::run_coroutine_threadsafe(detail::invoke_owned(std::move(fn), std::move(args)...), loop);
}

/// Task code for task_group::create_task: the coroutine fn(args...).
template <class F, class... A>
auto code(F&& fn, A&&... args) {
    return std::invoke(std::forward<F>(fn), std::forward<A>(args)...);
}

}  // namespace corolla::test

#else
#error "tests/support/style.hpp: build this test with STYLES in corolla_add_test"
#endif
