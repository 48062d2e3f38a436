// detail::take_result: the finish() of an operation whose work completes a future state of
// its own (connecting, talking to a child process): what it produced is handed over even
// when a cancellation arrived after it succeeded.
#pragma once

#include <exception>
#include <utility>

#include <corolla/core/future.hpp>
#include <corolla/core/operation.hpp>

namespace corolla::detail {

/// The value of `st`; when the cancellation `injected` reached the operation after `st`
/// had succeeded, the value is still returned and the cancellation is delivered at the next
/// suspension point (defer_cancel). Otherwise `injected`, if any, is thrown.
template <class State>
auto take_result(State& st, std::exception_ptr injected) {
    if (injected && st.status() == future_status::done && !st.has_exception()) {
        defer_cancel(injected);
        injected = nullptr;
    }
    if (injected) std::rethrow_exception(injected);
    return std::move(st.value());
}

}  // namespace corolla::detail
