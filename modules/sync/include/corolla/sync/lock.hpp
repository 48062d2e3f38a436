// lock (asyncio.Lock): a mutual-exclusion lock for tasks of one loop, coroutines and
// fibers alike. FIFO: release() hands the lock straight to the first waiter, so a task that
// arrives later can never take it first. A waiter cancelled after it was handed the lock
// passes it on; a cancelled waiter simply leaves the line.
//
//     co_await mu.acquire(); ...; mu.release();          // coroutine
//     { auto g = co_await mu.scoped(); ... }              // released at scope exit
//     { auto g = corolla::await(mu.scoped()); ... }       // the same in a fiber
//
// A lock belongs to the loop it is first waited on from. Destroying a lock fails the
// tasks still waiting for it with invalid_state_error.
#pragma once

#include <cstddef>
#include <exception>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/sync/detail/acquire_op.hpp>
#include <corolla/sync/guard.hpp>

namespace corolla {

class condition;

class lock {
public:
    using acquire_op = detail::acquire_op<lock>;

    lock() = default;
    lock(const lock&) = delete;
    lock& operator=(const lock&) = delete;
    ~lock();

    /// True while some task holds the lock.
    bool locked() const noexcept { return locked_; }
    /// Waits until the lock is free and takes it (asyncio's acquire()).
    [[nodiscard]] acquire_op acquire() noexcept;
    /// acquire() that yields a release_guard.
    [[nodiscard]] detail::scoped_op<lock, acquire_op> scoped() noexcept;
    /// Takes the lock when it is free; never waits.
    bool try_acquire() noexcept {
        if (locked_) return false;  // free implies nobody waits: release() hands over directly
        locked_ = true;
        return true;
    }
    /// Releases the lock, handing it to the first waiter if any. invalid_state_error when
    /// the lock is not held.
    void release();
    /// How many tasks wait for the lock.
    std::size_t waiting() const noexcept { return waiters_.size(); }

private:
    friend class condition;
    friend acquire_op;
    detail::intrusive_ptr<detail::waiter> line_up(event_loop& loop);
    void give_back() noexcept { grant_next(); }
    /// The lock stays held from the hand-over on: nothing to account for.
    void took_grant() noexcept {}
    /// Lines `w` up for the lock (condition waiters after notify); takes it for `w` at
    /// once when the lock is free.
    void hand_to(detail::waiter& w);
    void grant_next();

    bool locked_ = false;
    detail::waiter_list waiters_;
    detail::loop_binding binding_;
};

inline lock::acquire_op lock::acquire() noexcept { return acquire_op(*this); }
inline detail::scoped_op<lock, lock::acquire_op> lock::scoped() noexcept { return {*this, acquire_op(*this)}; }

}  // namespace corolla
