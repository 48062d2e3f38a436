// future<T>: the result of an asynchronous operation (asyncio.Future). The one object
// that tasks of both execution styles, sync primitives and I/O all wait on and complete. A future
// belongs to one event loop and is used from that loop's thread only; it must not be
// completed after its loop is destroyed.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <corolla/core/detail/intrusive_ptr.hpp>
#include <corolla/core/detail/small_pool.hpp>
#include <corolla/core/detail/unique_function.hpp>
#include <corolla/core/errors.hpp>

namespace corolla {

class event_loop;

enum class future_status : std::uint8_t { pending, done, cancelled };

/// Identifies a done-callback for remove_done_callback (C++ callables have no identity).
using callback_id = std::uint32_t;

namespace detail {

class task_core;

/// One done-callback in a future's list (registration order). A task waiting on a
/// future links itself (a task_core is a node: no allocation; the link keeps the task
/// alive); other callbacks are allocated nodes carrying the callable.
struct done_callback_node {
    done_callback_node* next = nullptr;
    callback_id id = 0;
    bool is_task = false;
};

/// The untyped part of a future's shared state.
class future_base : public ref_counted {
public:
    explicit future_base(event_loop& loop) noexcept : loop_(&loop) {}

    event_loop& loop() const noexcept { return *loop_; }
    future_status status() const noexcept { return status_; }
    bool done() const noexcept { return status_ != future_status::pending; }
    bool cancelled() const noexcept { return status_ == future_status::cancelled; }
    const std::string& cancel_message() const noexcept;

    /// Cancels a pending future and schedules its callbacks; false if already done.
    /// Tasks and composite futures override this to intercept the request.
    virtual bool cancel(std::string message = {});
    /// The task part of this state, or null for a plain future.
    virtual task_core* as_task() noexcept { return nullptr; }
    /// Throws invalid_state_error if already done.
    void set_exception(std::exception_ptr e);
    /// The stored exception or null. Throws invalid_state_error when pending and
    /// cancelled_error when cancelled. Marks the exception as retrieved.
    std::exception_ptr exception();
    /// True when done with an exception (does not count as retrieving it).
    bool has_exception() const noexcept { return exception_ != nullptr; }
    /// The exception if nobody has retrieved it yet, marking it retrieved; else null. For
    /// code that reports a failure nobody will see (an abandoned shielded future) exactly
    /// once, however many parties abandon it.
    std::exception_ptr claim_unretrieved_exception() noexcept {
        if (status_ != future_status::done || !exception_ || retrieved_) return nullptr;
        retrieved_ = true;
        return exception_;
    }
    /// Throws what result() must throw for a future that has no value to give.
    void check_result();

    callback_id add_done_callback(unique_function<void(future_base&)> fn);
    std::size_t remove_done_callback(callback_id id) noexcept;
    /// Internal (task drivers): links `t` so that, once done, the future queues a step
    /// of `t`, in order with the other callbacks. Holds a reference to the task while
    /// linked. When already done, the step is queued at once.
    void add_waiting_task(task_core& t);

protected:
    ~future_base() override;
    /// The plain future cancellation, for overrides of cancel() that decide to finish.
    bool cancel_now(std::string message);
    void check_pending(const char* operation) const;
    /// Moves to `s` and schedules every done-callback through the ready queue.
    void finish(future_status s);
    // The first data members: they share the padding after the reference count.
    bool is_task_ = false;  ///< only changes the wording of reports

private:
    future_status status_ = future_status::pending;
    bool retrieved_ = false;

    void schedule(unique_function<void(future_base&)> fn);
    void link(done_callback_node* node) noexcept;
    static void drop_node(done_callback_node* node) noexcept;

    event_loop* loop_;
    callback_id next_id_ = 1;
    std::exception_ptr exception_;
    std::unique_ptr<std::string> cancel_message_;  ///< allocated only for a non-empty message
    /// The last callback of a circular list (its `next` is the first), or null.
    done_callback_node* callbacks_tail_ = nullptr;
};

template <class T>
class future_state : public future_base, public pooled {
public:
    explicit future_state(event_loop& loop) noexcept : future_base(loop) {}
    ~future_state() override {
        if (has_value_) value_.~T();
    }
    template <class U>
    void set_result(U&& v) {
        check_pending("set_result");
        ::new (static_cast<void*>(&value_)) T(std::forward<U>(v));
        has_value_ = true;
        finish(future_status::done);
    }
    T& value() {
        check_result();
        return value_;
    }

private:
    union {
        T value_;
    };
    bool has_value_ = false;
};

template <>
class future_state<void> : public future_base, public pooled {
public:
    using future_base::future_base;
    void set_result() {
        check_pending("set_result");
        finish(future_status::done);
    }
    void value() { check_result(); }
};

}  // namespace detail

/// A shared handle to a future's state; copies refer to the same future.
template <class T = void>
class future {
    static_assert(std::is_void_v<T> || std::is_object_v<T>, "future<T> needs an object type or void");

public:
    using value_type = T;
    using state_type = detail::future_state<T>;

    future() noexcept = default;
    /// A new pending future on `loop` (same as loop.create_future<T>()).
    explicit future(event_loop& loop) : s_(new state_type(loop)) {}
    explicit future(detail::intrusive_ptr<state_type> s) noexcept : s_(std::move(s)) {}

    /// False for a default-constructed future.
    bool valid() const noexcept { return static_cast<bool>(s_); }
    future_status status() const noexcept { return s_->status(); }
    bool done() const noexcept { return s_->done(); }
    bool cancelled() const noexcept { return s_->cancelled(); }

    /// Requests cancellation; false when already done. Callbacks are scheduled.
    bool cancel(std::string message = {}) const { return s_->cancel(std::move(message)); }

    /// The value. Throws invalid_state_error while pending, cancelled_error when
    /// cancelled, or the stored exception.
    std::add_lvalue_reference_t<T> result() const { return s_->value(); }
    /// The stored exception (null on success); see future_base::exception().
    std::exception_ptr exception() const { return s_->exception(); }

    template <class U = T, class = std::enable_if_t<!std::is_void_v<U>>>
    void set_result(U&& v) const {
        s_->set_result(std::forward<U>(v));
    }
    template <class U = T, class = std::enable_if_t<std::is_void_v<U>>>
    void set_result() const {
        s_->set_result();
    }
    void set_exception(std::exception_ptr e) const { s_->set_exception(std::move(e)); }

    /// Schedules fn(future) through the loop's ready queue once done (at once if done
    /// already), in registration order.
    template <class F>
    callback_id add_done_callback(F fn) const {
        return s_->add_done_callback([fn = std::move(fn)](detail::future_base& b) mutable {
            fn(future(detail::intrusive_ptr<state_type>(static_cast<state_type*>(&b))));
        });
    }
    /// Removes a callback not yet scheduled; returns how many were removed (0 or 1).
    std::size_t remove_done_callback(callback_id id) const noexcept { return s_->remove_done_callback(id); }

    event_loop& get_loop() const noexcept { return s_->loop(); }
    state_type* state() const noexcept { return s_.get(); }
    friend bool operator==(const future& a, const future& b) noexcept { return a.s_ == b.s_; }

private:
    detail::intrusive_ptr<state_type> s_;
};

namespace detail {

/// What an await hands to the awaiting code: a copy of the value when T is copyable
/// (others may read the same future), the value moved out otherwise.
template <class T>
T deliver(const future<T>& f) {
    if constexpr (std::is_void_v<T>)
        f.result();
    else if constexpr (std::is_copy_constructible_v<T>)
        return f.result();
    else
        return std::move(f.result());
}

/// Completes `to` the way `from` (done) completed: value, exception or cancellation.
template <class T>
void transfer(const future<T>& from, future_state<T>& to, void (*cancel)(future_state<T>&, std::string)) {
    if (from.cancelled())
        cancel(to, from.state()->cancel_message());
    else if (auto e = from.exception())
        to.set_exception(e);
    else if constexpr (std::is_void_v<T>)
        to.set_result();
    else
        to.set_result(deliver(from));
}

}  // namespace detail
}  // namespace corolla
