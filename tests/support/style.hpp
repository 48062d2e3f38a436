// Test bodies written once for both execution styles. A test source built with STYLES in
// corolla_add_test spells suspension with these macros instead of co_await / co_return;
// CMake compiles it once per style (COROLLA_TEST_STYLE_CORO, COROLLA_TEST_STYLE_FIBER):
//
//   TASK(int) add(int a, int b) { RETURN a + b; }    task code, named or lambda (-> TASK(T))
//   AWAIT(fut)                                        suspend until a future/task is done
//   CALL(add(1, 2))                                   run task code inline (a sub-call, or a
//                                                     scope such as timeout / with_task_group)
//   test::spawn(loop, fn, args...)                    a task running fn(args...)
//   test::spawn_named(loop, name, fn, args...)        the same, named
//   test::run_main(options, fn, args...)              corolla::run with fn(args...) as main
//   test::submit_threadsafe(loop, fn, args...)        run_coroutine_threadsafe of fn(args...)
//   test::code(fn, args...)                           task code for task_group::create_task
//                                                     (arguments as for std::thread: std::ref)
//
// Arguments are taken as by std::thread (std::ref to share an object). In the coroutine
// style, a plain coroutine function whose parameters can own the arguments is started
// directly (spawn(loop, f, 1) is create_task(loop, f(1)): the task prints f); a lambda
// runs inside a wrapper coroutine that keeps it and its arguments alive, and awaits it
// inline, so scheduling and cancellation are the same.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <corolla/core/event_loop.hpp>

namespace corolla::test::detail {

// Coroutine style: whether an argument of spawn & co., which lives only until the coroutine
// is created, may go straight into a parameter of the coroutine's frame, so that nothing
// in the frame refers to it afterwards. True for a parameter by value from the same type,
// from a scalar or from a chrono duration (a std::string from a std::string or a literal;
// not a string_view into a std::string), and for a T& parameter from std::ref (the object
// is the caller's).
template <class T>
struct is_duration : std::false_type {};
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};
template <class T>
struct is_reference_wrapper : std::false_type {};
template <class T>
struct is_reference_wrapper<std::reference_wrapper<T>> : std::true_type {};
template <class P, class A>
inline constexpr bool frame_owned_argument =
    std::is_reference_v<P> ? std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>> &&
                                 is_reference_wrapper<A>::value
                           : std::is_same_v<std::remove_cv_t<P>, A> || std::is_scalar_v<A> ||
                                 (is_duration<P>::value && is_duration<A>::value);

template <class Params, class Args>
struct frame_owned_arguments : std::false_type {};
template <class... P, class... A>
requires(sizeof...(P) == sizeof...(A)) struct frame_owned_arguments<std::tuple<P...>, std::tuple<A...>>
    : std::bool_constant<(frame_owned_argument<P, A> && ...)> {
};

// A plain coroutine function that may be called directly with these arguments.
template <class F, class... A>
struct direct_coroutine_call : std::false_type {};
template <class R, class... P, class... A>
struct direct_coroutine_call<R (*)(P...), A...> : frame_owned_arguments<std::tuple<P...>, std::tuple<A...>> {};
template <class R, class... P, class... A>
struct direct_coroutine_call<R (*)(P...) noexcept, A...> : frame_owned_arguments<std::tuple<P...>, std::tuple<A...>> {};

}  // namespace corolla::test::detail

#if defined(COROLLA_TEST_STYLE_FIBER)

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

// The coroutine fn(args...). A plain function whose frame can own its arguments is called
// directly, so the task runs exactly that coroutine (and prints its name, as create_task
// of fn(args...) would); anything else (a lambda, whose captures must outlive the
// coroutine, or an argument the frame would only refer to) runs inside invoke_owned,
// which keeps fn and args alive in its own frame.
template <class F, class... A>
auto start(F fn, A... args) {
    if constexpr (direct_coroutine_call<F, A...>::value)
        return fn(std::move(args)...);
    else
        return invoke_owned(std::move(fn), std::move(args)...);
}
}  // namespace detail

/// A task on `loop` running fn(args...); fn and args are kept alive by the task.
template <class F, class... A>
auto spawn(corolla::event_loop& loop, F fn, A... args) {
    return corolla::create_task(loop, detail::start(std::move(fn), std::move(args)...));
}
template <class F, class... A>
auto spawn_named(corolla::event_loop& loop, std::string name, F fn, A... args) {
    return corolla::create_task(loop, detail::start(std::move(fn), std::move(args)...), std::move(name));
}

/// corolla::run of fn(args...) as the main task.
template <class F, class... A>
auto run_main(corolla::run_options options, F fn, A... args) {
    return corolla::run(detail::start(std::move(fn), std::move(args)...), std::move(options));
}

/// corolla::run_coroutine_threadsafe of fn(args...), from any thread.
template <class F, class... A>
auto submit_threadsafe(corolla::event_loop& loop, F fn, A... args) {
    return corolla::run_coroutine_threadsafe(detail::start(std::move(fn), std::move(args)...), loop);
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
