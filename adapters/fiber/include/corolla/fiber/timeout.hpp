// timeout / timeout_at for fibers: the body is a plain callable run inline in the calling
// fiber under a timeout_scope (corolla/core/timeout_scope.hpp has the semantics), so
// expiry cancels it at its current await and surfaces as timeout_error.
//
//     int v = corolla::timeout(2s, [&] { return corolla::await(fetch_task); });
//     corolla::timeout(2s, [&](corolla::timeout_scope& cm) { cm.reschedule(...); ... });
//
// The coroutine overloads (bodies returning coro<T>) are the coroutine adapter's;
// both headers can be included together.
#pragma once

#include <chrono>
#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <corolla/core/timeout_scope.hpp>
#include <corolla/fiber/fiber.hpp>

namespace corolla {

namespace detail {

/// Runs `call` inline and leaves `scope` with what it threw; a fiber being unwound
/// skips the scope's exit (its destructor cleans up, as for a destroyed coroutine frame).
template <class T, class Scope, class Call>
T run_scoped_inline(Scope& scope, Call&& call) {
    std::exception_ptr error;
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
    try {
        if constexpr (std::is_void_v<T>) {
            call();
            value.emplace(true);
        } else {
            value.emplace(call());
        }
    } catch (const fiber_unwind&) {
        throw;
    } catch (...) {
        error = std::current_exception();
    }
    scope.exit(error);
    if constexpr (!std::is_void_v<T>) return std::move(*value);
}

template <class R>
inline constexpr bool fiber_body_result = !coroutine_type<R>;

/// A body the fiber timeout accepts: a callable not returning a coro (with or without
/// the scope).
template <class B>
concept fiber_timeout_body = (std::invocable<B&> && fiber_body_result<std::invoke_result_t<B&>>) ||
                             (std::invocable<B&, timeout_scope&> &&
                              fiber_body_result<std::invoke_result_t<B&, timeout_scope&>>);

}  // namespace detail

/// timeout_at for a fiber body `body()`.
template <class F>
requires std::invocable<F&> && detail::fiber_body_result<std::invoke_result_t<F&>> std::invoke_result_t<F&> timeout_at(
    std::optional<time_point> when, F body) {
    timeout_scope scope(when);
    scope.enter();
    return detail::run_scoped_inline<std::invoke_result_t<F&>>(scope, [&]() -> decltype(auto) { return body(); });
}

/// timeout_at for a fiber body that wants the scope (to reschedule it or ask expired()).
template <class F>
requires std::invocable<F&, timeout_scope&> && detail::fiber_body_result<std::invoke_result_t<F&, timeout_scope&>>
    std::invoke_result_t<F&, timeout_scope&> timeout_at(std::optional<time_point> when, F body) {
    timeout_scope scope(when);
    scope.enter();
    return detail::run_scoped_inline<std::invoke_result_t<F&, timeout_scope&>>(
        scope, [&]() -> decltype(auto) { return body(scope); });
}

/// Runs `body` with a deadline `delay` from now on the running loop.
template <detail::fiber_timeout_body Body, class Rep, class Period>
auto timeout(std::chrono::duration<Rep, Period> delay, Body body) {
    return timeout_at(std::optional<time_point>(detail::running_loop("timeout").deadline_after(delay)),
                      std::move(body));
}

/// timeout with no deadline (asyncio.timeout(None)); the scope can be rescheduled later.
template <detail::fiber_timeout_body Body>
auto timeout(std::nullopt_t, Body body) {
    return timeout_at(std::nullopt, std::move(body));
}

}  // namespace corolla
