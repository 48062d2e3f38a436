// task<T>: a future driven by code (asyncio.Task). The same type is returned for a
// coroutine and for stackful code, each started by its execution style's adapter:
// names, cancellation, current_task() and all_tasks() treat both alike. The style-specific
// part is a small driver interface (resume the code, destroy it, describe it).
#pragma once

#include <cstdint>
#include <exception>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/future.hpp>

namespace corolla {

/// A task's state as the seeds print it.
enum class task_status : std::uint8_t { pending, running, done, cancelled };

namespace detail {

class task_core;
/// The thread's running task (current_task_core() reads it; drivers that switch between
/// tasks without the loop set it). constinit: no TLS wrapper call on access.
extern thread_local constinit task_core* tls_current_task;

/// The style-independent part of a task (asyncio's Task.__step / cancel machinery).
class task_core : private done_callback_node {  // linked into the future it awaits
public:
    /// `name` is moved from only when not empty (empty: the default "Task-N").
    task_core(future_base& self, std::string&& name);
    virtual ~task_core();
    task_core(const task_core&) = delete;
    task_core& operator=(const task_core&) = delete;

    future_base& as_future() noexcept { return self_; }
    /// The name; a default "Task-N" is formatted on first use.
    const std::string& name() const;
    void set_name(std::string n);
    task_status status() const noexcept;
    std::uint32_t cancelling() const noexcept { return cancel_requests_; }
    std::uint32_t uncancel() noexcept;
    /// asyncio Task.cancel: counts the request, cancels the awaited future if any, else
    /// arranges for cancelled_error at the next step. False once the task is done.
    bool request_cancel(std::string message);
    std::string to_string() const;

    // --- for drivers (adapters) ----------------------------------------------------
    /// Registers the task with its loop (all_tasks) and schedules its first step.
    void start();
    /// Called by the task's code when it suspends until `f` is done.
    void suspend_on(future_base& f);
    /// Called by the task's code when it yields for one iteration (sleep(0)).
    void suspend_yield();
    /// The exception the current step wants thrown at the suspension point (or null).
    std::exception_ptr take_injected() noexcept {
        return has_extras() ? std::exchange(extras_ptr()->injected, nullptr) : nullptr;
    }
    /// For operations: a cancellation injected after the awaited operation had already
    /// transferred something that cannot be given back (bytes received) is delivered at the
    /// next suspension point instead, so the caller gets the data first.
    void redeliver_cancel() noexcept { must_cancel_ = true; }
    /// The same for a cancellation the task's awaited future accepted but did not honour
    /// (a completion backend finished the operation first): delivered with `message`.
    void redeliver_cancel(std::string message);
    /// The driver's own word for where its code resumes (a coroutine: the innermost
    /// suspended frame). Core never reads it.
    void* resume_point() const noexcept { return resume_point_; }
    void set_resume_point(void* p) noexcept { resume_point_ = p; }

protected:
    /// Runs the code until it suspends or finishes; returns true when it finished, after
    /// completing the future (result, exception, or cancelled).
    virtual bool resume_code() = 0;
    /// Destroys the code's state (frame, stack) without running it further. Idempotent.
    virtual void destroy_code() noexcept = 0;
    /// The "coro=<...>" part of the printed form.
    virtual std::string describe_code() const = 0;
    /// Completes the future as cancelled (bypassing request_cancel).
    virtual void finish_cancelled(std::string message) = 0;
    /// For drivers, when the code returned normally: a cancellation requested after the
    /// last suspension point and never delivered still wins (asyncio's Task.__step: the
    /// task ends cancelled, with the request's message, and its value is dropped). Returns
    /// true when it did so; the driver then stores no result.
    bool finish_if_cancel_pending() {
        if (!must_cancel_) return false;
        must_cancel_ = false;
        finish_cancelled(cancel_message());
        return true;
    }

    // --- the driver hook: a fast path into the task's steps (optional) ----------------
    // A style may run its tasks' steps without the generic step machinery, in two ways:
    //  - run_direct_step(): the loop calls it for a queued step that has nothing to inject
    //    (no pending cancellation) instead of step(), when the constructor's subclass set
    //    direct_steps_;
    //  - a handoff: a task suspended where another task's step of the same style may switch
    //    straight into it leaves a token (the style's own, e.g. its execution context);
    //    the task whose step suspends takes the next due step off the loop with
    //    direct_step::next() and switches to it itself. direct_step (below) holds the
    //    bookkeeping both ways share.

    /// Runs a step that nothing is to be injected into, without anything that can throw,
    /// and returns true; or returns false having done nothing, and the loop runs the step
    /// with step(). Subclasses that override it set direct_steps_.
    virtual bool run_direct_step() noexcept { return false; }
    bool direct_steps_ = false;

    friend class future_base;  // links and unlinks the task as one of its done-callbacks
    void step();
    void schedule_step();
    void finished() noexcept;

    const std::string& cancel_message() const noexcept;

    future_base& self_;
    /// What most tasks never need, allocated on first use.
    struct extras {
        std::string name;
        std::string cancel_message;
        std::exception_ptr injected;  ///< what the current step throws at its suspension point
    };
    bool has_extras() const noexcept { return !(extras_ & 1u); }
    extras* extras_ptr() const noexcept { return reinterpret_cast<extras*>(extras_); }
    /// The extras, allocated (with the default name formatted) on first use.
    extras& get_extras() const;

    /// An owned extras*, or (low bit set) N << 1 for a task with no extras yet, whose
    /// name is the default "Task-N".
    mutable std::uintptr_t extras_ = 0;
    intrusive_ptr<future_base> waiter_;
    std::uint32_t cancel_requests_ = 0;
    bool must_cancel_ = false;
    bool running_ = false;
    bool started_ = false;
    bool tracked_ = false;

private:
    friend class loop_impl;
    friend struct direct_step;

    /// Runs one queued step (the loop calls this for an entry queued by schedule_step).
    void run_step() { step(); }
    /// True when the loop may run the next step with run_direct_step().
    bool direct_steppable() const noexcept { return direct_steps_ && !must_cancel_ && tracked_ && !self_.done(); }
    /// True when another task's step may switch straight to this one's (a handoff token).
    bool handoff_ready() const noexcept { return handoff_ != nullptr && !must_cancel_ && tracked_ && !self_.done(); }
    /// This task's step ends with the task suspended and `next`'s step begins on the same
    /// thread (the loop, for direct_step::next).
    void switch_step_to(task_core& next) noexcept {
        running_ = false;
        next.waiter_.reset();
        next.running_ = true;
        tls_current_task = &next;
    }
    /// Where a task's steps count as scheduled, for error and slow-callback reports.
    static std::source_location step_location() noexcept;
    /// Drops the code of a task its loop abandons at close (breaks reference cycles).
    void abandon() noexcept;

    void* resume_point_ = nullptr;
    void* handoff_ = nullptr;
    // intrusive list of the loop's live tasks
    task_core* prev_task_ = nullptr;
    task_core* next_task_ = nullptr;
};

/// The driver hook's bookkeeping, for styles that run steps directly (see task_core).
struct direct_step {
    /// Begins a step the loop let run_direct_step() run, as step() would; returns the task
    /// that was current, for end().
    static task_core* begin(task_core& t) noexcept {
        t.handoff_ = nullptr;
        t.waiter_.reset();
        t.running_ = true;
        t.started_ = true;
        task_core* prev = tls_current_task;
        tls_current_task = &t;
        return prev;
    }
    /// Ends the step of `last` (begun directly or handed over), which suspended or (done)
    /// finished; the running task becomes `prev`.
    static void end(task_core& last, bool done, task_core* prev) noexcept {
        last.running_ = false;
        tls_current_task = prev;
        if (done) last.finished();
    }
    /// The suspended task `t` may be entered by a handoff through `token` (null: it may not).
    static void offer(task_core& t, void* token) noexcept { t.handoff_ = token; }
    /// The token `t` offered, now withdrawn (its step is being entered).
    static void* take(task_core& t) noexcept { return std::exchange(t.handoff_, nullptr); }
    /// Whether `t` offers a handoff now.
    static bool offered(const task_core& t) noexcept { return t.handoff_ != nullptr; }
    /// Called by the running task `from` as it suspends, within a step of the loop's
    /// iteration: when the next queued entry of that iteration is the step of a task
    /// that offered a handoff, takes it off the queue, makes it the running task and
    /// returns it (the caller switches to it through its token); else null.
    static task_core* next(task_core& from) noexcept;
    /// Queues the next step of the running task `t`, which yields for one iteration
    /// (sleep(0)), then returns next(t) if `take_next`, else null.
    static task_core* yield(task_core& t, bool take_next);
};

/// The thread's running task, or null.
inline task_core* current_task_core() noexcept { return tls_current_task; }

/// For execution styles: the running task, or invalid_state_error naming `what` (code
/// that suspends must run as a task).
inline task_core& require_task(const char* what) {
    task_core* t = current_task_core();
    if (!t)
        throw invalid_state_error(std::string(what) +
                                  " outside of a task: start the code as a task (create_task, run)");
    return *t;
}

/// For execution styles, after a suspension: throws what the running task's step wants
/// thrown there (a cancellation), if anything.
inline void rethrow_injected() {
    if (task_core* t = current_task_core())
        if (std::exception_ptr e = t->take_injected()) std::rethrow_exception(e);
}

template <class T>
class task_state : public future_state<T>, public task_core {
public:
    task_state(event_loop& loop, std::string&& name)
        : future_state<T>(loop), task_core(static_cast<future_base&>(*this), std::move(name)) {
        this->is_task_ = true;
    }
    bool cancel(std::string message) override { return request_cancel(std::move(message)); }
    task_core* as_task() noexcept override { return this; }

protected:
    void finish_cancelled(std::string message) override { this->cancel_now(std::move(message)); }
};

std::string next_task_name();
/// The number N of the next default name "Task-N".
std::uint64_t next_task_number() noexcept;

}  // namespace detail

/// A task: a future<T> plus a name and the cancellation-request count.
template <class T = void>
class task : public future<T> {
public:
    task() noexcept = default;
    explicit task(detail::intrusive_ptr<detail::task_state<T>> s) noexcept
        : future<T>(detail::intrusive_ptr<detail::future_state<T>>(std::move(s))) {}

    const std::string& get_name() const { return core().name(); }
    void set_name(std::string name) const { core().set_name(std::move(name)); }
    task_status task_state() const noexcept { return core().status(); }
    /// Number of pending cancellation requests (asyncio Task.cancelling()).
    std::uint32_t cancelling() const noexcept { return core().cancelling(); }
    /// Withdraws one cancellation request; returns the remaining count.
    std::uint32_t uncancel() const noexcept { return core().uncancel(); }
    /// `<task pending name='Task-1' coro=<...>>`
    std::string to_string() const { return core().to_string(); }

private:
    detail::task_core& core() const noexcept { return *static_cast<detail::task_state<T>*>(this->state()); }
};

/// An untyped reference to a task of any result type and either style.
class task_ref {
public:
    task_ref() noexcept = default;
    explicit task_ref(detail::task_core* t) noexcept : t_(t), keep_(t ? &t->as_future() : nullptr) {}
    template <class T>
    task_ref(const task<T>& t) noexcept : task_ref(t.state()->as_task()) {}  // NOLINT: any task converts

    explicit operator bool() const noexcept { return t_ != nullptr; }
    const std::string& get_name() const { return t_->name(); }
    task_status task_state() const noexcept { return t_->status(); }
    bool done() const noexcept { return t_->as_future().done(); }
    bool cancelled() const noexcept { return t_->as_future().cancelled(); }
    bool cancel(std::string message = {}) const { return t_->request_cancel(std::move(message)); }
    std::uint32_t cancelling() const noexcept { return t_->cancelling(); }
    std::uint32_t uncancel() const noexcept { return t_->uncancel(); }
    std::string to_string() const { return t_->to_string(); }
    detail::future_base& as_future() const noexcept { return t_->as_future(); }
    friend bool operator==(const task_ref& a, const task_ref& b) noexcept { return a.t_ == b.t_; }

private:
    detail::task_core* t_ = nullptr;
    detail::intrusive_ptr<detail::future_base> keep_;
};

/// The task running on this thread (asyncio.current_task), empty outside any task.
task_ref current_task() noexcept;
/// The loop's tasks that are not done yet (asyncio.all_tasks), oldest first.
std::vector<task_ref> all_tasks(event_loop& loop);

}  // namespace corolla
