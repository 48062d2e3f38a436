// barrier (asyncio.Barrier): `parties` tasks meet; each wait() returns once all of them
// have arrived, with the arrival index 0 .. parties-1 (the last to arrive gets
// parties-1 and releases the others). The barrier is then ready for the next round.
// A waiter cancelled before the round completes leaves it (the others keep waiting).
// reset() fails the current waiters with broken_barrier_error and starts afresh;
// abort() breaks the barrier: waiters and every later wait() fail until reset().
#pragma once

#include <cstddef>
#include <exception>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>

namespace corolla {

/// A barrier was reset or aborted while waiting, or is broken (asyncio.BrokenBarrierError).
class broken_barrier_error : public error {
public:
    using error::error;
};

class barrier {
public:
    class wait_op;

    /// value_error when parties is 0.
    explicit barrier(std::size_t parties);
    barrier(const barrier&) = delete;
    barrier& operator=(const barrier&) = delete;
    ~barrier();

    /// Waits for the other parties; returns this task's arrival index.
    [[nodiscard]] wait_op wait() noexcept;
    /// Fails the current waiters (broken_barrier_error) and empties the barrier; a broken
    /// barrier becomes usable again.
    void reset();
    /// Breaks the barrier: current waiters and later wait()s fail until reset().
    void abort();

    std::size_t parties() const noexcept { return parties_; }
    /// How many tasks wait in the current round.
    std::size_t n_waiting() const noexcept { return waiters_.size(); }
    bool broken() const noexcept { return broken_; }

private:
    std::size_t parties_;
    bool broken_ = false;
    detail::waiter_list waiters_;
    detail::loop_binding binding_;
};

class barrier::wait_op {
public:
    using result_type = std::size_t;
    explicit wait_op(barrier& b) noexcept : b_(&b) {}
    wait_op(wait_op&& o) noexcept : b_(o.b_), w_(std::move(o.w_)), index_(o.index_) {}
    wait_op& operator=(wait_op&&) = delete;
    ~wait_op() {
        if (w_ && w_->list) w_->list->remove(*w_);
    }
    detail::future_base* start(event_loop& loop);
    std::size_t finish(std::exception_ptr injected);

private:
    barrier* b_;
    detail::intrusive_ptr<detail::waiter> w_;
    std::size_t index_ = 0;
};

inline barrier::wait_op barrier::wait() noexcept { return wait_op(*this); }

}  // namespace corolla
