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

detail::future_base* event::wait_op::start(event_loop& loop) {
    if (e_->set_) return nullptr;
    e_->binding_.bind(loop, "event");
    w_ = detail::make_waiter(loop);
    e_->waiters_.push_back(*w_);
    return w_.get();
}

void event::wait_op::finish(std::exception_ptr injected) {
    if (auto w = std::move(w_)) detail::rethrow_unless_granted(*w);
    if (injected) std::rethrow_exception(injected);  // nothing to give back: the flag stays set
}

}  // namespace corolla
