// Handles for callbacks scheduled on the loop (asyncio.Handle / TimerHandle). A handle
// is shared between the loop and the caller; cancel() stops a callback that has not run
// yet and releases what it captured at once.
#pragma once

#include <cstdint>
#include <source_location>
#include <type_traits>
#include <utility>

#include <corolla/core/clock.hpp>
#include <corolla/core/detail/intrusive_ptr.hpp>
#include <corolla/core/detail/small_pool.hpp>

namespace corolla {

class event_loop;

namespace detail {

/// A scheduled callback. Lives in the ready queue, the timer heap or an fd slot.
class handle_base : public ref_counted, public pooled {
    // The first data members: they share the padding after the reference count.
    bool cancelled_ = false;
    bool running_ = false;

public:
    explicit handle_base(std::source_location where) noexcept : where_(where) {}

    bool cancelled() const noexcept { return cancelled_; }
    void cancel() noexcept;
    /// Runs the callback unless cancelled. Exceptions propagate to the loop. A callback
    /// may cancel its own handle (remove_reader from inside the reader): what it
    /// captured is then released after it returns, never while it runs.
    void run() {
        if (cancelled_) return;
        struct running_guard {
            handle_base* h;
            ~running_guard() {
                h->running_ = false;
                if (h->cancelled_) h->drop_callback();
            }
        } guard{this};
        running_ = true;
        invoke();
    }

    std::source_location where_;
    event_loop* timer_loop_ = nullptr;  ///< set while the handle sits in a timer heap
    time_point when_{};
    std::uint64_t timer_seq_ = 0;  ///< insertion order among timers with the same deadline

protected:
    virtual void invoke() = 0;
    virtual void drop_callback() noexcept = 0;
};

template <class F>
class callback_handle final : public handle_base {
public:
    template <class G>
    callback_handle(G&& g, std::source_location where) : handle_base(where), fn_(std::forward<G>(g)) {}
    ~callback_handle() override { drop_callback(); }

private:
    void invoke() override {
        if (alive_) fn_();
    }
    void drop_callback() noexcept override {
        if (alive_) {
            alive_ = false;
            fn_.~F();
        }
    }
    union {
        F fn_;
    };
    bool alive_ = true;
};

template <class F>
intrusive_ptr<handle_base> make_handle(F&& f, std::source_location where) {
    return intrusive_ptr<handle_base>(new callback_handle<std::decay_t<F>>(std::forward<F>(f), where));
}

}  // namespace detail

/// A callback scheduled with call_soon / add_reader / add_signal_handler.
class handle {
public:
    handle() noexcept = default;
    explicit handle(detail::intrusive_ptr<detail::handle_base> p) noexcept : p_(std::move(p)) {}

    /// Prevents the callback from running if it has not yet; idempotent; no-op when empty.
    void cancel() noexcept {
        if (p_) p_->cancel();
    }
    bool cancelled() const noexcept { return p_ && p_->cancelled(); }
    explicit operator bool() const noexcept { return static_cast<bool>(p_); }
    /// Where the callback was scheduled (used in debug and error reports).
    std::source_location where() const noexcept { return p_ ? p_->where_ : std::source_location{}; }

protected:
    detail::intrusive_ptr<detail::handle_base> p_;
};

/// A callback scheduled with call_later / call_at.
class timer_handle : public handle {
public:
    using handle::handle;
    /// The loop time at which the callback is due.
    time_point when() const noexcept { return p_ ? p_->when_ : time_point{}; }
};

}  // namespace corolla
