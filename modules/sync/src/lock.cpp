#include <corolla/sync/lock.hpp>

#include <utility>

#include <corolla/core/errors.hpp>

namespace corolla {

lock::~lock() {
    waiters_.fail_all(std::make_exception_ptr(invalid_state_error("the lock was destroyed while tasks waited for it")));
}

void lock::release() {
    if (!locked_) throw invalid_state_error("lock.release(): the lock is not held");
    grant_next();
}

void lock::grant_next() {
    while (detail::waiter* w = waiters_.pop_front()) {
        if (w->on_grant && !w->on_grant(*w)) continue;  // declined (a condition predicate)
        if (!w->done()) w->set_result();
        return;  // the lock stays held, now by w
    }
    locked_ = false;
}

void lock::hand_to(detail::waiter& w) {
    waiters_.push_back(w);
    if (!locked_) {
        locked_ = true;
        grant_next();
    }
}

detail::intrusive_ptr<detail::waiter> lock::line_up(event_loop& loop) {
    binding_.bind(loop, "lock");
    auto w = detail::make_waiter(loop);
    waiters_.push_back(*w);
    return w;
}

}  // namespace corolla
