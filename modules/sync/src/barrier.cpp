#include <corolla/sync/barrier.hpp>

#include <utility>

namespace corolla {

barrier::barrier(std::size_t parties) : parties_(parties) {
    if (parties == 0) throw value_error("barrier: parties must be at least 1");
}

barrier::~barrier() {
    waiters_.fail_all(std::make_exception_ptr(broken_barrier_error("the barrier was destroyed while tasks waited")));
}

void barrier::reset() {
    waiters_.fail_all(std::make_exception_ptr(broken_barrier_error("the barrier was reset")));
    broken_ = false;
}

void barrier::abort() {
    broken_ = true;
    waiters_.fail_all(std::make_exception_ptr(broken_barrier_error("the barrier was aborted")));
}

detail::future_base* barrier::wait_op::start(event_loop& loop) {
    if (b_->broken_) throw broken_barrier_error("the barrier is broken");
    index_ = b_->waiters_.size();
    if (index_ + 1 == b_->parties_) {
        // The last party: release the round (each keeps its index in its waiter's tag).
        while (detail::waiter* w = b_->waiters_.pop_front())
            w->set_result();
        return nullptr;
    }
    b_->binding_.bind(loop, "barrier");
    w_ = detail::make_waiter(loop);
    w_->tag = index_;
    b_->waiters_.push_back(*w_);
    return w_.get();
}

std::size_t barrier::wait_op::finish(std::exception_ptr injected) {
    if (auto w = std::move(w_)) detail::rethrow_unless_granted(*w);
    // A cancellation after the round completed: the round is over for everyone anyway.
    if (injected) std::rethrow_exception(injected);
    return index_;
}

}  // namespace corolla
