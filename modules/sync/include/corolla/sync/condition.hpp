// condition (asyncio.Condition): tasks wait, with a lock held, until notified. It owns a
// lock or shares one passed in (several conditions over one lock).
//
//     auto g = co_await cond.scoped();          // hold the lock
//     co_await cond.wait_for([&] { return !items.empty(); });
//     ... consume ...                           // still holding the lock
//
// wait() releases the lock, waits for notify(), and re-acquires the lock before it
// returns — also when it is cancelled, so a cancelled wait never leaves its caller
// without the lock it held (asyncio's contract). A waiter cancelled after it was
// notified passes the notification on to another waiter. notify(n), notify_all() and
// wait() require the lock to be held (invalid_state_error otherwise).
//
// wait_for(pred) evaluates `pred` with the lock held: first in the caller, then each time
// the lock is handed back to the waiter after a notify. That evaluation happens when the
// lock is handed over (in the task that releases it), so a predicate only reads the state
// the lock protects; an exception from it is thrown from wait_for, lock held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/sync/guard.hpp>
#include <corolla/sync/lock.hpp>

namespace corolla {

class condition {
public:
    class wait_op;
    template <class Pred>
    class wait_for_op;

    /// A condition with its own lock.
    condition();
    /// A condition over `l` (which must outlive it).
    explicit condition(lock& l) noexcept;
    condition(const condition&) = delete;
    condition& operator=(const condition&) = delete;
    ~condition();

    // The lock.
    bool locked() const noexcept { return lock_->locked(); }
    [[nodiscard]] lock::acquire_op acquire() noexcept { return lock_->acquire(); }
    [[nodiscard]] detail::scoped_op<lock, lock::acquire_op> scoped() noexcept { return lock_->scoped(); }
    bool try_acquire() noexcept { return lock_->try_acquire(); }
    void release() { lock_->release(); }
    lock& get_lock() noexcept { return *lock_; }

    /// Releases the lock, waits for a notify, re-acquires the lock.
    [[nodiscard]] wait_op wait() noexcept;
    /// Waits until pred() is true (at once if it is already); returns pred()'s last value.
    template <class Pred>
    [[nodiscard]] wait_for_op<std::decay_t<Pred>> wait_for(Pred&& pred);
    /// Wakes up to `n` waiters (each re-acquires the lock after the caller releases it).
    void notify(std::size_t n = 1);
    void notify_all();
    /// How many tasks wait for a notify.
    std::size_t waiting() const noexcept { return waiters_.size(); }

private:
    /// The part of a wait operation the lock and the hooks see.
    class wait_base {
    public:
        explicit wait_base(condition& c) noexcept : c_(&c) {}
        wait_base(wait_base&& o) noexcept : c_(o.c_), w_(std::move(o.w_)) {}
        wait_base& operator=(wait_base&&) = delete;
        ~wait_base();

        /// Registers the waiter and releases the lock.
        detail::future_base* enqueue(event_loop& loop, bool (*on_grant)(detail::waiter&));
        /// The common end of a wait: throws a deferred or injected cancellation (the lock
        /// held) after passing a notification on; rethrows a failure.
        void complete(std::exception_ptr injected);

        // Public within this private class: the condition's hooks read them.
        condition* c_;
        detail::intrusive_ptr<detail::waiter> w_;
    };

    static constexpr std::uintptr_t not_notified = 0;
    static constexpr std::uintptr_t notified = 1;
    static bool on_cancel(detail::waiter& w, std::string& message);

    lock* lock_;
    std::optional<lock> own_;
    detail::waiter_list waiters_;
    detail::loop_binding binding_;
};

class condition::wait_op : private condition::wait_base {
public:
    using result_type = void;
    using wait_base::wait_base;
    wait_op(wait_op&&) noexcept = default;
    detail::future_base* start(event_loop& loop) { return enqueue(loop, nullptr); }
    void finish(std::exception_ptr injected) { complete(std::move(injected)); }
};

template <class Pred>
class condition::wait_for_op : private condition::wait_base {
public:
    using result_type = std::decay_t<decltype(std::declval<Pred&>()())>;
    wait_for_op(condition& c, Pred pred) : wait_base(c), pred_(std::move(pred)) {}
    wait_for_op(wait_for_op&& o) noexcept(std::is_nothrow_move_constructible_v<Pred>)
        : wait_base(std::move(o)), pred_(std::move(o.pred_)) {}

    detail::future_base* start(event_loop& loop) {
        if (!c_->locked()) throw invalid_state_error("condition.wait_for(): the lock is not held");
        last_.emplace(pred_());
        if (static_cast<bool>(*last_)) return nullptr;
        return enqueue(loop, &on_grant);
    }
    result_type finish(std::exception_ptr injected) {
        complete(std::move(injected));
        return std::move(*last_);
    }

private:
    /// The lock is handed to the waiter after a notify: evaluate the predicate, and go
    /// back to waiting for a notify when it is false.
    static bool on_grant(detail::waiter& w) {
        auto* self = static_cast<wait_for_op*>(static_cast<wait_base*>(w.owner));
        if (w.deferred_cancel) return true;  // take the lock to deliver the cancellation
        try {
            self->last_.emplace(self->pred_());
        } catch (...) {
            w.set_exception(std::current_exception());  // thrown from wait_for, lock held
            return true;
        }
        if (static_cast<bool>(*self->last_)) return true;
        w.tag = not_notified;
        self->c_->waiters_.push_back(w);
        return false;
    }

    Pred pred_;
    std::optional<result_type> last_;
};

inline condition::wait_op condition::wait() noexcept { return wait_op(*this); }
template <class Pred>
condition::wait_for_op<std::decay_t<Pred>> condition::wait_for(Pred&& pred) {
    return {*this, std::forward<Pred>(pred)};
}

}  // namespace corolla
