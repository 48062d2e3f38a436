// The waiting line the sync and queue modules share: a waiter is a future<void> that a
// primitive completes to wake one waiting task (of either execution style), linked while
// pending in its primitive's FIFO. Cancelling a pending waiter takes it out of the line at
// once (O(1)), so a line never holds cancelled entries and "wake the first" is exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include <corolla/core/future.hpp>

namespace corolla::detail {

class waiter;

/// An intrusive FIFO of pending waiters. It does not own them: a waiter leaves its list
/// when cancelled, completed through pop_front(), or destroyed.
class waiter_list {
public:
    waiter_list() = default;
    waiter_list(const waiter_list&) = delete;
    waiter_list& operator=(const waiter_list&) = delete;
    ~waiter_list();

    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }
    waiter* front() const noexcept { return head_; }
    inline void push_back(waiter& w) noexcept;
    inline void remove(waiter& w) noexcept;
    /// Unlinks and returns the first waiter (null when empty).
    inline waiter* pop_front() noexcept;
    /// Completes every waiter with exception `e` (the primitive breaks or goes away).
    void fail_all(const std::exception_ptr& e);

private:
    waiter* head_ = nullptr;
    waiter* tail_ = nullptr;
    std::size_t size_ = 0;
};

class waiter final : public future_state<void> {
public:
    explicit waiter(event_loop& loop) noexcept : future_state<void>(loop) {}

    /// Cancelling a pending waiter: by default it leaves its line and completes as
    /// cancelled; `on_cancel` replaces that (a condition waiter re-acquires its lock first).
    bool cancel(std::string message) override;
    /// The plain cancellation, for on_cancel hooks.
    bool cancel_now_plain(std::string message) { return cancel_now(std::move(message)); }

    waiter_list* list = nullptr;  ///< the line it is in, or null
    waiter* prev = nullptr;
    waiter* next = nullptr;
    /// Per-waiter data of the primitive (a barrier's arrival index, a condition's stage).
    std::uintptr_t tag = 0;
    /// The primitive (for on_cancel hooks and lock hand-off hooks).
    void* owner = nullptr;
    bool (*on_cancel)(waiter& w, std::string& message) = nullptr;
    /// Runs when a lock is handed to this waiter; returns false when the waiter declines
    /// it (it moved itself elsewhere) so that the lock goes to the next one.
    bool (*on_grant)(waiter& w) = nullptr;
    /// A cancellation the primitive accepted but will deliver later (with the lock held).
    std::unique_ptr<std::string> deferred_cancel;

private:
    ~waiter() override;
};

// Inline: these run on every wait and wake.
void waiter_list::push_back(waiter& w) noexcept {
    w.list = this;
    w.next = nullptr;
    w.prev = tail_;
    if (tail_)
        tail_->next = &w;
    else
        head_ = &w;
    tail_ = &w;
    ++size_;
}

void waiter_list::remove(waiter& w) noexcept {
    if (w.prev)
        w.prev->next = w.next;
    else
        head_ = w.next;
    if (w.next)
        w.next->prev = w.prev;
    else
        tail_ = w.prev;
    w.prev = w.next = nullptr;
    w.list = nullptr;
    --size_;
}

waiter* waiter_list::pop_front() noexcept {
    waiter* w = head_;
    if (w) remove(*w);
    return w;
}

inline intrusive_ptr<waiter> make_waiter(event_loop& loop) { return intrusive_ptr<waiter>(new waiter(loop)); }

/// The loop a primitive belongs to: bound on its first wait, like asyncio's primitives.
class loop_binding {
public:
    /// Binds to `loop`, or throws invalid_state_error naming `what` when already bound
    /// to another loop.
    event_loop& bind(event_loop& loop, const char* what) {
        if (loop_ != &loop) bind_first(loop, what);
        return loop;
    }
    event_loop* loop() const noexcept { return loop_; }

private:
    void bind_first(event_loop& loop, const char* what);
    event_loop* loop_ = nullptr;
};

/// True when `w` completed with a result (the primitive granted it what it waited for).
inline bool granted(const waiter& w) noexcept { return w.status() == future_status::done && !w.has_exception(); }
/// Throws what a waiter that completed without being granted anything holds:
/// cancelled_error (cancelled) or its exception (the primitive failed it).
void rethrow_failed(waiter& w);
inline void rethrow_unless_granted(waiter& w) {
    if (!granted(w)) rethrow_failed(w);
}

}  // namespace corolla::detail
