#include <corolla/sync/semaphore.hpp>

#include <string>
#include <utility>

#include <corolla/core/errors.hpp>

namespace corolla {

semaphore::semaphore(std::int64_t value) : semaphore(value, false) {}

semaphore::semaphore(std::int64_t value, bool bounded) : value_(value), bound_(bounded ? value : -1) {
    if (value < 0) throw value_error("semaphore: the initial value must be >= 0, got " + std::to_string(value));
}

semaphore::~semaphore() {
    waiters_.fail_all(
        std::make_exception_ptr(invalid_state_error("the semaphore was destroyed while tasks waited for it")));
}

void semaphore::release() {
    if (bound_ >= 0 && value_ >= bound_) throw value_error("bounded_semaphore released too many times");
    if (detail::waiter* w = waiters_.pop_front())
        w->set_result();  // the permit goes straight to the first waiter
    else
        ++value_;
}

detail::future_base* semaphore::acquire_op::wait(event_loop& loop) {
    s_->binding_.bind(loop, "semaphore");
    w_ = detail::make_waiter(loop);
    s_->waiters_.push_back(*w_);
    return w_.get();
}

void semaphore::acquire_op::finish_wait(std::exception_ptr injected) {
    auto w = std::move(w_);
    if (w) {
        detail::rethrow_unless_granted(*w);
        if (injected) s_->release();  // handed a permit, then cancelled: pass it on
    }
    if (injected) std::rethrow_exception(injected);
}

void semaphore::acquire_op::withdraw() noexcept {
    auto w = std::move(w_);
    if (w->list)
        w->list->remove(*w);
    else if (detail::granted(*w))
        s_->release();  // cannot throw: the permit held here is not back yet
}

}  // namespace corolla
