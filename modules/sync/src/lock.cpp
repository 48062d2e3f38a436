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

detail::future_base* lock::acquire_op::wait(event_loop& loop) {
    l_->binding_.bind(loop, "lock");
    w_ = detail::make_waiter(loop);
    l_->waiters_.push_back(*w_);
    return w_.get();
}

void lock::acquire_op::finish_wait(std::exception_ptr injected) {
    auto w = std::move(w_);
    if (w) {
        detail::rethrow_unless_granted(*w);
        if (injected) l_->release();  // handed the lock, then cancelled: pass it on
    }
    if (injected) std::rethrow_exception(injected);
}

void lock::acquire_op::withdraw() noexcept {
    auto w = std::move(w_);
    if (w->list)
        w->list->remove(*w);
    else if (detail::granted(*w))
        l_->grant_next();  // handed the lock but never resumed (its task was destroyed)
}

}  // namespace corolla
