// timeout / timeout_at for coroutines (asyncio.timeout / asyncio.timeout_at): the body
// runs inline in the awaiting task under a timeout_scope (see corolla/core/timeout_scope.hpp
// for the semantics), so expiry cancels the body at its current suspension and surfaces
// as timeout_error from the co_await.
//
//     int v = co_await corolla::timeout(2s, fetch());      // a coro<T>
//     int w = co_await corolla::timeout(2s, [&]() -> coro<int> { ... });
//     co_await corolla::timeout(2s, [&](corolla::timeout_scope& cm) -> coro<void> {
//         cm.reschedule(loop.time() + 5s);  ...  });
#pragma once

#include <chrono>
#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/timeout_scope.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>

namespace corolla {

namespace detail {

/// Runs `body` inline, then leaves `scope` with whatever the body threw; the scope's
/// exit() decides what escapes.
template <class T, class Scope>
coro<T> run_scoped(Scope& scope, coro<T> body) {
    std::exception_ptr error;
    if constexpr (std::is_void_v<T>) {
        try {
            co_await std::move(body);
        } catch (...) {
            error = std::current_exception();
        }
        scope.exit(error);
    } else {
        std::optional<T> value;
        try {
            value.emplace(co_await std::move(body));
        } catch (...) {
            error = std::current_exception();
        }
        scope.exit(error);
        co_return std::move(*value);
    }
}

/// A body the coroutine timeout accepts: a coro<T>, or a callable returning one (with or
/// without the scope). Fiber bodies (plain callables) are corolla/fiber/timeout.hpp's.
template <class B>
concept coro_timeout_body = is_coro<B>::value ||(std::invocable<B&>&& is_coro<std::invoke_result_t<B&>>::value) ||
                            (std::invocable<B&, timeout_scope&> &&
                             is_coro<std::invoke_result_t<B&, timeout_scope&>>::value);

inline event_loop& running_loop_for(const char* what) {
    event_loop* loop = event_loop::running();
    if (!loop) throw invalid_state_error(std::string(what) + ": no running event loop");
    return *loop;
}

}  // namespace detail

/// Runs `body` with a deadline at `when` (none: nullopt). See timeout_scope.
template <class T>
coro<T> timeout_at(std::optional<time_point> when, coro<T> body) {
    timeout_scope scope(when);
    scope.enter();
    co_return co_await detail::run_scoped(scope, std::move(body));
}

/// timeout_at for a body that wants the scope (to reschedule it or ask expired()).
template <class F>
requires std::invocable<F&, timeout_scope&> &&
    detail::is_coro<std::invoke_result_t<F&, timeout_scope&>>::value std::invoke_result_t<F&, timeout_scope&>
    timeout_at(std::optional<time_point> when, F body) {
    timeout_scope scope(when);
    scope.enter();
    co_return co_await detail::run_scoped(scope, body(scope));
}

/// timeout_at for a callable body (its captures live as long as the scope).
template <class F>
requires std::invocable<F&> && detail::is_coro<std::invoke_result_t<F&>>::value std::invoke_result_t<F&> timeout_at(
    std::optional<time_point> when, F body) {
    timeout_scope scope(when);
    scope.enter();
    co_return co_await detail::run_scoped(scope, body());
}

/// Runs `body` with a deadline `delay` from now on the running loop.
template <detail::coro_timeout_body Body, class Rep, class Period>
auto timeout(std::chrono::duration<Rep, Period> delay, Body body) {
    return timeout_at(std::optional<time_point>(detail::running_loop_for("timeout").deadline_after(delay)),
                      std::move(body));
}

/// timeout with no deadline (asyncio.timeout(None)); the scope can be rescheduled later.
template <detail::coro_timeout_body Body>
auto timeout(std::nullopt_t, Body body) {
    return timeout_at(std::nullopt, std::move(body));
}

}  // namespace corolla
