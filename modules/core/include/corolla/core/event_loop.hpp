// The event loop (asyncio's BaseEventLoop): the ready queue, timers, fd readiness,
// signals and the cross-thread bridge. Everything in corolla is scheduled through it.
// A loop runs on one thread; only call_soon_threadsafe and stop-from-a-signal-handler
// style wakeups may come from elsewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <corolla/core/clock.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/handle.hpp>
#include <corolla/core/loop_options.hpp>

namespace corolla {

/// What the exception handler is told (asyncio's context dict).
struct exception_context {
    std::string message;
    std::exception_ptr exception;
    /// Where the failing callback was scheduled, if known.
    std::source_location where{};
};

using exception_handler = std::function<void(event_loop&, const exception_context&)>;

enum class log_level { debug, info, warning, error };
using log_handler = std::function<void(log_level, std::string_view)>;

/// Counts of what a loop still holds; a loop that is finished with its work has all zero.
struct loop_stats {
    std::size_t ready = 0;            ///< callbacks in the ready queue (not cancelled)
    std::size_t timers = 0;           ///< scheduled timers (not cancelled)
    std::size_t timer_heap = 0;       ///< timer heap entries, cancelled ones included
    std::size_t readers = 0;          ///< fds with a reader callback
    std::size_t writers = 0;          ///< fds with a writer callback
    std::size_t io_requests = 0;      ///< I/O requests waiting for their fd (net operations)
    std::size_t signal_handlers = 0;  ///< signals handled by this loop
    std::size_t threadsafe_pending = 0;
    std::size_t tasks = 0;  ///< tasks not finished yet
};

class thread_pool;

namespace detail {
struct io_args;
class io_request;
/// The loop running on this thread (event_loop::running()).
extern thread_local constinit event_loop* tls_running_loop;
class loop_impl;
struct loop_anchor;  // corolla/core/detail/loop_anchor.hpp
class task_core;
struct loop_access;  // corolla/core/detail/loop_access.hpp
}  // namespace detail

/// Iteration contract: one call of run_once, as asyncio's BaseEventLoop._run_once. This is
/// the one description of an iteration; the code is loop_impl::run_once (core's src/).
///  1. Timers: cancelled timers at the top of the heap are dropped; when the heap holds
///     more than 100 entries of which more than half are cancelled, it is rebuilt
///     without them (asyncio's rule: memory stays bounded under start/cancel churn).
///  2. Poll or park. With callbacks ready, stop() called, a call_soon_threadsafe or a
///     signal pending, the selector is polled without waiting, and not at all when no fd
///     is registered (it could report nothing; wakes and signals are flags, seen below).
///     Otherwise the loop parks until the earliest timer is due (forever without one):
///     in the selector, or, when nothing could be reported by it (no fd, no request in a
///     completion backend, no signal handler), on a futex (Linux). Another thread's
///     call_soon_threadsafe wakes a parked loop once and never a running one. With a
///     virtual clock the loop never waits for a timer: it polls, then jumps the clock to
///     the earliest deadline.
///  3. Ready fds: I/O requests waiting on a ready fd (receives, sends, accepts, connects)
///     are performed right here, in line order, so the task they wake finds its bytes;
///     the fd's reader / writer callbacks are queued. A completion backend's finished
///     requests are then reaped and delivered the same way. Then call_soon_threadsafe's
///     callbacks and the handlers of delivered signals are queued.
///  4. Every timer whose deadline is <= time() is queued, in (deadline, insertion) order.
///     A timer never fires before its deadline.
///  5. Exactly the entries queued so far (callbacks and task steps) run, FIFO; anything
///     they schedule runs in the next iteration. Cancelled callbacks are skipped; an
///     exception escaping a callback goes to the exception handler and the loop goes on.
///     A task step may be run directly by the task's driver (task_core::run_direct_step,
///     without the loop's bookkeeping around a callback), and a task that suspends may
///     hand its turn straight to the next queued task step of this batch whose driver
///     offered a handoff (detail::direct_step::next): same order, fewer switches.
///     Debug mode turns both off and times every callback (slow-callback warnings).
/// stop() makes run_forever return after the current iteration (called before
/// run_forever, the next run does one iteration). close() drops queued callbacks and
/// timers, cancels requests in flight, unregisters fds and signals, and is refused while
/// the loop runs.
class event_loop {
public:
    event_loop();
    explicit event_loop(loop_options options);
    ~event_loop();
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    /// The loop running on the calling thread, or null (asyncio._get_running_loop).
    static event_loop* running() noexcept { return detail::tls_running_loop; }

    // --- scheduling ------------------------------------------------------------------

    /// Queues fn() to run in the next iteration; FIFO among call_soon callbacks.
    template <class F>
    handle call_soon(F&& fn, std::source_location where = std::source_location::current()) {
        auto h = detail::make_handle(std::forward<F>(fn), where);
        schedule(h);
        return handle(std::move(h));
    }

    /// Like call_soon, callable from any thread; wakes the loop if it is blocked.
    /// Returns no handle (unlike asyncio): a handle shared with a foreign thread would
    /// need atomic reference counts on every callback. To cancel from another thread,
    /// schedule the cancel itself with call_soon_threadsafe.
    template <class F>
    void call_soon_threadsafe(F&& fn, std::source_location where = std::source_location::current()) {
        // Ownership moves to the loop before the callback becomes visible to it, so this
        // thread never touches the (non-atomic) reference count afterwards.
        schedule_threadsafe(detail::make_handle(std::forward<F>(fn), where).detach());
    }

    /// Runs fn() at loop time `when` or later, never earlier. Deadlines beyond the
    /// representable range saturate (the timer effectively never fires).
    template <class F>
    timer_handle call_at(time_point when, F&& fn, std::source_location where = std::source_location::current()) {
        auto h = detail::make_handle(std::forward<F>(fn), where);
        schedule_at(h, when);
        return timer_handle(std::move(h));
    }

    /// Runs fn() after `delay` (any chrono duration, rounded up to nanoseconds;
    /// negative means as soon as possible). Huge delays saturate, never overflow.
    template <class Rep, class Period, class F>
    timer_handle call_later(std::chrono::duration<Rep, Period> delay, F&& fn,
                            std::source_location where = std::source_location::current()) {
        return call_at(deadline_after(delay), std::forward<F>(fn), where);
    }

    /// The loop's current time on its clock.
    time_point time() const noexcept;

    /// `time() + delay`, saturating instead of overflowing.
    template <class Rep, class Period>
    time_point deadline_after(std::chrono::duration<Rep, Period> delay) const noexcept {
        return saturating_add(time(), delay);
    }

    // --- running ---------------------------------------------------------------------

    /// Runs iterations until stop(). Throws loop_closed_error / loop_running_error.
    void run_forever();

    /// Runs until `f` is done and returns its result (or throws its exception).
    /// Throws invalid_state_error if the loop was stopped before `f` completed.
    template <class T>
    T run_until_complete(const future<T>& f) {
        run_until_done(*f.state());
        return detail::deliver(f);
    }

    /// Runs exactly one iteration. With nowait, the selector is only polled.
    void run_once(bool nowait = false);

    /// Makes run_forever return after the current iteration; before run_forever it makes
    /// the next run_forever run one iteration. Loop thread only.
    void stop() noexcept;

    /// Drops every queued callback and timer, removes fd and signal registrations and
    /// closes the selector. Idempotent. Throws loop_running_error while running.
    void close();

    bool is_running() const noexcept;
    bool is_closed() const noexcept;

    /// The pool run_in_executor / to_thread use by default, started on first use with
    /// loop_options::thread_pool_size workers at most. close() stops it taking jobs; the
    /// loop's destructor waits for the jobs still running. Throws loop_closed_error once
    /// the loop is closed.
    thread_pool& default_executor();
    /// Stops the default executor and blocks until its running jobs are done (their
    /// completions are delivered by the next iteration). No-op if it never started.
    void shutdown_default_executor();

    template <class T = void>
    future<T> create_future() {
        check_open();
        return future<T>(*this);
    }

    // --- fds and signals -------------------------------------------------------------

    /// Calls fn() whenever `fd` is readable (or hung up / in error). Throws bad_fd_error
    /// for a negative or closed fd and already_registered_error if it has a reader.
    template <class F>
    void add_reader(int fd, F&& fn, std::source_location where = std::source_location::current()) {
        set_fd_callback(fd, readable, detail::make_handle(std::forward<F>(fn), where));
    }
    template <class F>
    void add_writer(int fd, F&& fn, std::source_location where = std::source_location::current()) {
        set_fd_callback(fd, writable, detail::make_handle(std::forward<F>(fn), where));
    }
    /// Stops watching; true if a reader (writer) was registered. Safe on a closed fd.
    bool remove_reader(int fd);
    bool remove_writer(int fd);

    /// Calls fn() on the loop thread (never inside the signal handler) after `sig` is
    /// delivered. One loop per signal per process. Throws std::invalid_argument for a
    /// signal that cannot be caught and already_registered_error if another loop owns it.
    template <class F>
    void add_signal_handler(int sig, F&& fn, std::source_location where = std::source_location::current()) {
        set_signal_callback(sig, detail::make_handle(std::forward<F>(fn), where));
    }
    /// Restores the previous disposition; true if a handler was registered.
    bool remove_signal_handler(int sig);

    // --- errors, debug, introspection ------------------------------------------------

    void set_exception_handler(exception_handler h);
    /// Routes to the handler set, or default_exception_handler.
    void call_exception_handler(const exception_context& ctx) noexcept;
    /// Writes the context to the log handler at error level.
    void default_exception_handler(const exception_context& ctx) noexcept;

    void set_log_handler(log_handler h);
    void log(log_level level, std::string_view message) noexcept;

    void set_debug(bool on) noexcept;
    bool get_debug() const noexcept;
    void set_slow_callback_duration(duration d) noexcept;
    duration slow_callback_duration() const noexcept;

    std::string_view backend_name() const noexcept;
    /// The loop's selector. Throws loop_closed_error once the loop is closed.
    corolla::selector& selector();
    corolla::clock& clock() noexcept;
    loop_stats stats() const noexcept;

private:
    // corolla's own components reach what follows through detail::loop_access
    // (corolla/core/detail/loop_access.hpp); none of it is user API.
    friend struct detail::loop_access;

    // --- I/O requests: what the net module builds on ---------------------------------

    /// Performs `a` now unless it would wait behind requests already queued for
    /// its fd, or the fd was found drained for reading since its last readiness report.
    /// True when done (a.res / a.err set); false when it has to wait (submit_io). A socket
    /// error the selector reported for the fd and no syscall returned yet is delivered
    /// here or by the queued request that meets it first (see selector.hpp).
    bool try_io(detail::io_args& a);
    /// Queues `r` until its fd is ready and performs it then, completing `r`.
    /// The fd stays registered with the selector between requests (no selector call per
    /// wait); interest nobody uses any more is dropped when it next fires.
    void submit_io(detail::io_request& r);
    /// Takes a cancelled `r` out of its line (nothing was transferred).
    void withdraw_io(detail::io_request& r) noexcept;
    /// Asks the completion backend to cancel `r` (it completes later).
    void cancel_io(detail::io_request& r);
    /// Cancels `r` in the completion backend and delivers its completion now.
    void cancel_io_and_wait(detail::io_request& r) noexcept;
    /// `fd` is about to be closed. Its queued requests fail with make_error(), a
    /// socket error held for it is dropped, and the selector forgets it unless add_reader /
    /// add_writer callbacks remain. No-op once the loop is closed.
    void release_fd(int fd, std::exception_ptr (*make_error)()) noexcept;

    // --- timers, steps and tasks: what futures, tasks and execution styles build on -----

    /// Called by a timer handle when it is cancelled while in the heap.
    void on_timer_cancelled() noexcept;
    /// Puts a handle its owner made (not a callback) in the timer heap, due at
    /// `when`, as call_at does.
    void schedule_timer(const detail::intrusive_ptr<detail::handle_base>& h, time_point when) { schedule_at(h, when); }
    /// Queues one step of `t`, adopting a reference to the task that the caller
    /// holds (released if this throws). No allocation: the queue entry is the task.
    void schedule_task_step(detail::task_core* t);
    /// Queues a handle its owner made (not a callback), as call_soon does.
    void schedule_ready(const detail::intrusive_ptr<detail::handle_base>& h) { schedule(h); }
    /// Reports an exception that escaped a task step run directly
    /// (task_core::run_direct_step) as one escaping any step is reported.
    void report_task_step_error(std::exception_ptr e) noexcept;
    /// Track_task(t), then schedule_task_step(t) (task_core::start).
    void start_task(detail::task_core* t);
    /// The loop's list of live tasks (it holds a strong reference to each).
    void track_task(detail::task_core* t) noexcept;
    void untrack_task(detail::task_core* t) noexcept;
    std::vector<detail::task_core*> live_tasks() const;
    /// For run_in_executor: the loop's anchor for other threads, and the futures
    /// of jobs in flight, which the loop keeps alive until each job reports back (or the
    /// loop is destroyed). Loop thread only.
    const std::shared_ptr<detail::loop_anchor>& anchor() const noexcept { return anchor_; }
    void hold_for_job(detail::future_base* f);
    bool drop_job(detail::future_base* f) noexcept;

    template <class Rep, class Period>
    static time_point saturating_add(time_point base, std::chrono::duration<Rep, Period> d) noexcept {
        // Decide in long double (no overflow possible) whether the sum fits, then add exactly.
        using ld_nanos = std::chrono::duration<long double, std::nano>;
        const long double delta = std::chrono::duration_cast<ld_nanos>(d).count();
        const long double now = static_cast<long double>(base.time_since_epoch().count());
        if (!(delta == delta)) return time_point::max();  // NaN: treat as "never"
        if (now + delta >= static_cast<long double>(time_point::max().time_since_epoch().count()))
            return time_point::max();
        if (now + delta <= static_cast<long double>(time_point::min().time_since_epoch().count()))
            return time_point::min();
        return base + std::chrono::ceil<duration>(d);
    }

    void check_open() const;
    void schedule(const detail::intrusive_ptr<detail::handle_base>& h);
    void schedule_threadsafe(detail::handle_base* owned);
    void schedule_at(const detail::intrusive_ptr<detail::handle_base>& h, time_point when);
    void set_fd_callback(int fd, std::uint32_t direction, detail::intrusive_ptr<detail::handle_base> h);
    void set_signal_callback(int sig, detail::intrusive_ptr<detail::handle_base> h);
    void run_until_done(detail::future_base& f);

    std::unique_ptr<detail::loop_impl> impl_;
    std::shared_ptr<detail::loop_anchor> anchor_;
};

}  // namespace corolla
