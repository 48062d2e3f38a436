// timeout_scope: asyncio.Timeout, the object behind `timeout(delay)` / `timeout_at(when)`.
// Entered inside a task, it cancels that task when the deadline passes; leaving it turns
// that cancellation (and only that one) into timeout_error. The style adapters wrap it:
// coroutines with `co_await timeout(d, body)`, stackful code likewise, so both behave the same.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>

#include <corolla/core/clock.hpp>
#include <corolla/core/handle.hpp>
#include <corolla/core/task.hpp>

namespace corolla {

/// A deadline for the code of the current task between enter() and exit().
///
/// - enter() binds the scope to the running task (invalid_state_error outside a task or
///   when entered twice) and arms the deadline; a deadline already past cancels the task
///   at its next suspension. No deadline (nullopt) never expires.
/// - On expiry the task is cancelled once (cancelling() goes up by one).
/// - exit(e) must be called with the exception leaving the scope (null on normal exit).
///   If this scope expired, it withdraws its cancellation (uncancel); when that leaves no
///   cancellation from outside the scope and `e` is a cancelled_error, exit throws
///   timeout_error. Otherwise it rethrows `e` (if any). So nested scopes report
///   timeout_error only from the one that expired, a cancel from outside always wins,
///   and a scope entered while handling an earlier cancellation still times out.
/// - reschedule() moves (or removes) the deadline while the scope is entered and has not
///   expired; after that it is invalid_state_error.
class timeout_scope {
public:
    explicit timeout_scope(std::optional<time_point> when) noexcept : when_(when) {}
    ~timeout_scope() { timer_.cancel(); }
    timeout_scope(const timeout_scope&) = delete;
    timeout_scope& operator=(const timeout_scope&) = delete;

    void enter();
    void exit(std::exception_ptr e);
    void reschedule(std::optional<time_point> when);
    /// The deadline (nullopt: none).
    std::optional<time_point> when() const noexcept { return when_; }
    /// True once the deadline passed while the scope was entered.
    bool expired() const noexcept { return state_ == state::expiring || state_ == state::expired; }

private:
    enum class state : std::uint8_t { created, entered, expiring, expired, exited };
    void arm();
    void on_timeout();

    std::optional<time_point> when_;
    task_ref task_;
    handle timer_;  ///< the deadline's timer, or a call_soon when it is already due
    std::uint32_t cancelling_ = 0;
    state state_ = state::created;
};

}  // namespace corolla
