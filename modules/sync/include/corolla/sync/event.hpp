// event (asyncio.Event): a flag tasks wait for. set() wakes every task waiting at that
// moment exactly once (clear() and set() again before they run wakes nobody twice);
// wait() returns at once while the flag is set. set() may be called from any callback on
// the loop's thread (call_soon_threadsafe(... ev.set() ...) from other threads).
#pragma once

#include <cstddef>
#include <exception>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>

namespace corolla {

class event {
public:
    class wait_op;

    event() = default;
    event(const event&) = delete;
    event& operator=(const event&) = delete;
    ~event();

    bool is_set() const noexcept { return set_; }
    /// Sets the flag and wakes every waiting task.
    void set();
    /// Clears the flag; later wait()s wait again.
    void clear() noexcept { set_ = false; }
    /// Waits until the flag is set.
    [[nodiscard]] wait_op wait() noexcept;
    /// How many tasks wait.
    std::size_t waiting() const noexcept { return waiters_.size(); }

private:
    bool set_ = false;
    detail::waiter_list waiters_;
    detail::loop_binding binding_;
};

class event::wait_op {
public:
    using result_type = void;
    explicit wait_op(event& e) noexcept : e_(&e) {}
    wait_op(wait_op&& o) noexcept : e_(o.e_), w_(std::move(o.w_)) {}
    wait_op& operator=(wait_op&&) = delete;
    ~wait_op() {
        if (w_ && w_->list) w_->list->remove(*w_);
    }
    detail::future_base* start(event_loop& loop) { return e_->set_ ? nullptr : wait(loop); }
    void finish(std::exception_ptr injected) {
        if (w_) detail::rethrow_unless_granted(*w_);
        // Nothing to give back when cancelled after the wakeup: the flag stays set.
        if (injected) std::rethrow_exception(injected);
    }

private:
    detail::future_base* wait(event_loop& loop);
    event* e_;
    detail::intrusive_ptr<detail::waiter> w_;
};

inline event::wait_op event::wait() noexcept { return wait_op(*this); }

}  // namespace corolla
