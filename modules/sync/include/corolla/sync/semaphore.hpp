// semaphore and bounded_semaphore (asyncio.Semaphore / BoundedSemaphore): a counter of
// permits. acquire() takes one, waiting in FIFO order while none is free; release()
// returns one, handing it straight to the first waiter. As in asyncio, a waiter handed a
// permit still counts until it has run: meanwhile locked() is true and nobody takes a
// permit ahead of the line (permits released meanwhile go, once it runs, to those who
// queued behind it). A waiter cancelled after it was handed a permit passes it on, so
// cancelled waiters never strand a permit or break the order. A bounded_semaphore refuses
// (value_error) a release() beyond its initial value.
//
//     corolla::semaphore sem(10);                         // at most 10 fetches at once
//     auto permit = co_await sem.scoped();                // coroutine
//     auto permit = corolla::await(sem.scoped());         // fiber
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/sync/detail/acquire_op.hpp>
#include <corolla/sync/guard.hpp>

namespace corolla {

class semaphore {
public:
    using acquire_op = detail::acquire_op<semaphore>;

    /// `value` permits; value_error when negative.
    explicit semaphore(std::int64_t value = 1);
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;
    ~semaphore();

    /// True when acquire() would wait: no permit is free, or tasks are in line (waiting,
    /// or handed a permit and not yet run).
    bool locked() const noexcept { return value_ == 0 || !waiters_.empty() || granted_ != 0; }
    /// Permits free now.
    std::int64_t value() const noexcept { return value_; }
    [[nodiscard]] acquire_op acquire() noexcept;
    [[nodiscard]] detail::scoped_op<semaphore, acquire_op> scoped() noexcept;
    /// Takes a permit when one is free and nobody is in line; never waits.
    bool try_acquire() noexcept {
        if (locked()) return false;
        --value_;
        return true;
    }
    /// Returns a permit (to the first waiter if any). A bounded semaphore throws
    /// value_error when every permit is already back.
    void release();
    std::size_t waiting() const noexcept { return waiters_.size(); }

protected:
    semaphore(std::int64_t value, bool bounded);

private:
    friend acquire_op;
    detail::intrusive_ptr<detail::waiter> line_up(event_loop& loop);
    void give_back() noexcept;
    void took_grant() noexcept;
    /// One permit is free: to the first waiter, else back to the count.
    void hand_over() noexcept;

    std::int64_t value_;
    std::int64_t granted_ = 0;  ///< waiters handed a permit that have not run yet
    std::int64_t bound_;        ///< the initial value for a bounded semaphore, else -1
    detail::waiter_list waiters_;
    detail::loop_binding binding_;
};

/// A semaphore that refuses to be released more often than acquired.
class bounded_semaphore : public semaphore {
public:
    explicit bounded_semaphore(std::int64_t value = 1) : semaphore(value, true) {}
};

inline semaphore::acquire_op semaphore::acquire() noexcept { return acquire_op(*this); }
inline detail::scoped_op<semaphore, semaphore::acquire_op> semaphore::scoped() noexcept {
    return {*this, acquire_op(*this)};
}

}  // namespace corolla
