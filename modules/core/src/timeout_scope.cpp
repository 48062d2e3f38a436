#include <corolla/core/timeout_scope.hpp>

#include <corolla/core/event_loop.hpp>

namespace corolla {

void timeout_scope::enter() {
    if (state_ != state::created) throw invalid_state_error("timeout: the scope has already been entered");
    task_ref t = current_task();
    if (!t) throw invalid_state_error("timeout: must be used inside a task");
    task_ = std::move(t);
    cancelling_ = task_.cancelling();
    state_ = state::entered;
    arm();
}

void timeout_scope::reschedule(std::optional<time_point> when) {
    if (state_ == state::created) throw invalid_state_error("timeout: reschedule() before the scope was entered");
    if (state_ != state::entered) throw invalid_state_error("timeout: reschedule() after the scope expired or exited");
    when_ = when;
    arm();
}

void timeout_scope::arm() {
    timer_.cancel();
    timer_ = {};
    if (!when_) return;
    event_loop& loop = task_.as_future().loop();
    // A deadline already due goes through the ready queue (as asyncio does), so the task
    // is cancelled at its next suspension, not inside enter() or reschedule().
    if (*when_ <= loop.time())
        timer_ = loop.call_soon([this] { on_timeout(); });
    else
        timer_ = loop.call_at(*when_, [this] { on_timeout(); });
}

void timeout_scope::on_timeout() {
    timer_ = {};
    if (state_ != state::entered) return;
    task_.cancel();
    state_ = state::expiring;
}

void timeout_scope::exit(std::exception_ptr e) {
    timer_.cancel();
    timer_ = {};
    if (state_ == state::expiring) {
        state_ = state::expired;
        if (task_.uncancel() <= cancelling_ && detail::is_cancellation(e))
            throw timeout_error("timeout: the deadline passed");
    } else if (state_ == state::entered) {
        state_ = state::exited;
    }
    if (e) std::rethrow_exception(e);
}

}  // namespace corolla
