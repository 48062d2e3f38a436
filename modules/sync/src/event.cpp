#include <corolla/sync/event.hpp>

#include <utility>

#include <corolla/core/errors.hpp>

namespace corolla {

event::~event() {
    waiters_.fail_all(
        std::make_exception_ptr(invalid_state_error("the event was destroyed while tasks waited for it")));
}

void event::set() {
    if (set_) return;
    set_ = true;
    while (detail::waiter* w = waiters_.pop_front())
        w->set_result();
}

detail::future_base* event::wait_op::wait(event_loop& loop) {
    e_->binding_.bind(loop, "event");
    w_ = detail::make_waiter(loop);
    e_->waiters_.push_back(*w_);
    return w_.get();
}

}  // namespace corolla
