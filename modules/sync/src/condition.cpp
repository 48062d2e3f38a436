#include <corolla/sync/condition.hpp>

#include <memory>
#include <string>
#include <utility>

#include <corolla/core/errors.hpp>

namespace corolla {

condition::condition() : lock_(nullptr), own_(std::in_place) { lock_ = &*own_; }

condition::condition(lock& l) noexcept : lock_(&l) {}

condition::~condition() {
    waiters_.fail_all(
        std::make_exception_ptr(invalid_state_error("the condition was destroyed while tasks waited on it")));
}

void condition::notify(std::size_t n) {
    if (!locked()) throw invalid_state_error("condition.notify(): the lock is not held");
    for (; n > 0 && !waiters_.empty(); --n) {
        detail::waiter* w = waiters_.pop_front();
        w->tag = notified;
        lock_->hand_to(*w);  // held by the caller: w lines up for it
    }
}

void condition::notify_all() { notify(waiters_.size()); }

bool condition::on_cancel(detail::waiter& w, std::string& message) {
    condition* c = static_cast<wait_base*>(w.owner)->c_;
    if (!w.deferred_cancel) w.deferred_cancel = std::make_unique<std::string>(std::move(message));
    if (w.list == &c->waiters_) {
        // Still waiting for a notify: re-acquire the lock first, then deliver the cancel.
        c->waiters_.remove(w);
        c->lock_->hand_to(w);
    }
    // Otherwise it already waits for the lock: keep waiting, deliver the cancel then.
    return true;
}

condition::wait_base::~wait_base() {
    if (!w_) return;
    auto w = std::move(w_);  // started, never finished: its task was destroyed
    if (w->list)
        w->list->remove(*w);
    else if (detail::granted(*w))
        c_->lock_->release();
}

detail::future_base* condition::wait_base::enqueue(event_loop& loop, bool (*on_grant)(detail::waiter&)) {
    if (!c_->locked()) throw invalid_state_error("condition.wait(): the lock is not held");
    c_->binding_.bind(loop, "condition");
    w_ = detail::make_waiter(loop);
    w_->owner = this;
    w_->on_cancel = &condition::on_cancel;
    w_->on_grant = on_grant;
    w_->tag = not_notified;
    c_->waiters_.push_back(*w_);
    c_->lock_->release();
    return w_.get();
}

void condition::wait_base::complete(std::exception_ptr injected) {
    auto w = std::move(w_);
    if (w) {
        detail::rethrow_unless_granted(*w);  // failed (predicate threw, or destroyed)
        // The lock is held again. A cancellation is delivered now; one that came after
        // the notify passes the notification on, so no wakeup is lost.
        if (!injected && w->deferred_cancel) injected = std::make_exception_ptr(cancelled_error(*w->deferred_cancel));
        if (injected && w->tag == notified) c_->notify(1);
    }
    if (injected) std::rethrow_exception(injected);
}

}  // namespace corolla
