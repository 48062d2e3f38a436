// The event loop's private state, and one iteration of it (event_loop.hpp describes the
// iteration). Split by mechanism, as asyncio splits base_events from selector_events:
//   loop_impl.hpp        the state, scheduling and the iteration itself (run_once), inline
//                        with everything it calls, so that an iteration compiles as one
//                        function
//   timer_heap.hpp       the timer heap and its sweep of cancelled timers
//   fd_table.hpp         per-fd callbacks and the lines of I/O requests waiting on each fd
//   loop_run.cpp         construction, run / stop / close, stats, the default executor
//   loop_io.cpp          fd callbacks and I/O requests, by readiness and by completion
//   loop_threadsafe.cpp  the thread bridge: the thread-safe queue, parking, waking
//   loop_signals.cpp     signal handlers
//   task.cpp             the loop's list of live tasks
//   event_loop.cpp       the public event_loop, forwarding here
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <source_location>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/task.hpp>
#include <corolla/core/thread_pool.hpp>
#include <corolla/core/detail/io_request.hpp>
#include "fd_table.hpp"
#include "ring.hpp"
#include "signal_table.hpp"
#include "timer_heap.hpp"

namespace corolla::detail {

using handle_ptr = intrusive_ptr<handle_base>;

// Where a loop blocks (loop_impl::park_): another thread waking it must know.
inline constexpr int running_state = 0;
inline constexpr int parked_in_selector = 1;
inline constexpr int parked_on_futex = 2;

#if defined(__linux__)
inline constexpr bool futex_parking = true;

/// Sleeps while `word` holds `expected`, at most `timeout` (< 0: no limit). Spurious
/// returns are fine: the loop just runs an iteration.
void futex_wait(std::atomic<int>& word, int expected, duration timeout) noexcept;
void futex_wake(std::atomic<int>& word) noexcept;
#else
inline constexpr bool futex_parking = false;  // elsewhere the loop always parks in its selector
inline void futex_wait(std::atomic<int>&, int, duration) noexcept {}
inline void futex_wake(std::atomic<int>&) noexcept {}
#endif

// A ready-queue entry: a handle, or (low bit set) a task whose next step is due. Each
// entry owns one reference to what it points at (a task: to its future).
class ready_entry {
public:
    ready_entry() noexcept = default;
    explicit ready_entry(handle_base* h) noexcept : v_(reinterpret_cast<std::uintptr_t>(h)) {}
    explicit ready_entry(task_core* t) noexcept : v_(reinterpret_cast<std::uintptr_t>(t) | 1u) {}
    handle_base* handle() const noexcept { return v_ & 1u ? nullptr : reinterpret_cast<handle_base*>(v_); }
    task_core* task() const noexcept {
        return v_ & 1u ? reinterpret_cast<task_core*>(v_ & ~std::uintptr_t{1}) : nullptr;
    }

private:
    std::uintptr_t v_ = 0;
};

/// "callback scheduled at file:line", for reports.
std::string describe(std::source_location where);

class loop_impl {
public:
    loop_impl(event_loop& self, loop_options opts);

    ~loop_impl() { close(); }

    // --- state checks ----------------------------------------------------------------

    void check_open() const {
        if (closed_.load(std::memory_order_acquire)) throw loop_closed_error("event loop is closed");
    }
    void check_thread() const {
        if (debug_ && running_ && std::this_thread::get_id() != thread_)
            throw wrong_thread_error(
                "non-thread-safe event loop operation called from a thread other than the loop's; "
                "use call_soon_threadsafe");
    }
    void check_can_run() const {
        check_open();
        if (running_) throw loop_running_error("this event loop is already running");
        if (tls_running_loop != nullptr)
            throw loop_running_error("cannot run an event loop while another loop is running on this thread");
    }

    // --- scheduling ------------------------------------------------------------------

    void schedule(const handle_ptr& h) {
        check_open();
        check_thread();
        h->add_ref();
        ready_.push(ready_entry(h.get()));
    }

    void schedule_task_step(task_core* t) {
        try {
            check_open();
            check_thread();
            ready_.push(ready_entry(t));
        } catch (...) {
            t->as_future().release();
            throw;
        }
    }

    void schedule_threadsafe(handle_base* owned);

    void schedule_at(const handle_ptr& h, time_point when) {
        check_open();
        check_thread();
        h->when_ = when;
        h->timer_loop_ = &self_;
        h->add_ref();
        timers_.push(h.get(), when);
    }

    void on_timer_cancelled() noexcept { timers_.note_cancelled(); }

    task_core* yield_step(task_core* t, bool take_next) {
        // `t` runs a step of this loop's iteration, on the loop's thread: the loop is open
        // and the thread is the right one, nothing for schedule_task_step to check.
        if (!running_) schedule_task_step_checked(t);
        t->as_future().add_ref();  // held by the queue entry
        try {
            ready_.push(ready_entry(t));
        } catch (...) {
            t->as_future().release();
            throw;
        }
        return take_next ? take_handoff(t) : nullptr;
    }
    /// yield_step outside a running loop (not reached by the task machinery): the
    /// checks schedule_task_step makes.
    void schedule_task_step_checked(task_core*) {
        check_open();
        check_thread();
    }

    task_core* take_handoff(task_core* from) noexcept {
        if (batch_left_ == 0 || debug_) return nullptr;
        task_core* t = ready_.front().task();
        if (!t || t == from || !t->handoff_ready()) return nullptr;
        ready_.pop();
        --batch_left_;
        from->switch_step_to(*t);
        // The entry's reference: the task stays alive through the loop's own reference
        // (handoff_ready() checks it is tracked).
        t->as_future().release();
        return t;
    }

    // --- tasks -----------------------------------------------------------------------

    // Run at every task's start and end: inline here; the rest of the list is task.cpp's.
    void track_task(task_core* t) noexcept {
        t->prev_task_ = nullptr;
        t->next_task_ = tasks_head_;
        if (tasks_head_) tasks_head_->prev_task_ = t;
        tasks_head_ = t;
        ++task_count_;
    }

    void untrack_task(task_core* t) noexcept {
        if (t->prev_task_)
            t->prev_task_->next_task_ = t->next_task_;
        else
            tasks_head_ = t->next_task_;
        if (t->next_task_) t->next_task_->prev_task_ = t->prev_task_;
        t->prev_task_ = t->next_task_ = nullptr;
        --task_count_;
    }

    std::vector<task_core*> live_tasks() const;
    /// Tasks still pending at close are abandoned: their code is destroyed (running the
    /// destructors of its locals); each reports "destroyed while pending" when it goes.
    void abandon_tasks() noexcept;

    // --- fds -------------------------------------------------------------------------

    fd_slot& slot_for(int fd) {
        if (fd < 0) throw bad_fd_error(fd, "negative file descriptor");
        if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 1);
        return fds_[fd];
    }

    /// Brings the selector's interest for `fd` to `want` (add, modify or remove). Throws
    /// what the selector throws, with `registered` unchanged.
    void sync_interest(int fd, fd_slot& s, std::uint32_t want) {
        if (want == s.registered) return;
        if (s.registered == 0)
            selector_->add(fd, want, static_cast<std::uint64_t>(fd));
        else if (want == 0)
            selector_->remove(fd);
        else
            selector_->modify(fd, want, static_cast<std::uint64_t>(fd));
        s.registered = want;
    }

    void set_fd_callback(int fd, std::uint32_t dir, handle_ptr h);

    bool remove_fd_callback(int fd, std::uint32_t dir);

    // --- I/O requests ----------------------------------------------------------------

    bool try_io(io_args& a) {
        if (a.reads() && a.fd >= 0 && static_cast<std::size_t>(a.fd) < fds_.size()) {
            fd_slot& s = fds_[a.fd];
            // Requests already waiting go first (FIFO), and a drained fd is not tried.
            if (!s.lines[0].empty() || !s.kernel[0].empty()) return false;
            if (comp_ && comp_->try_complete(a)) return true;
            if (s.read_drained) return false;
            const bool done = perform_io(a, s.socket_error);
            note_read(s, a, done);
            return done;
        }
        if (!a.reads() && a.fd >= 0 && static_cast<std::size_t>(a.fd) < fds_.size()) {
            fd_slot& s = fds_[a.fd];
            if (!s.lines[1].empty() || !s.kernel[1].empty()) return false;
            return perform_io(a, s.socket_error);
        }
        return perform_io(a);
    }

    static void note_read(fd_slot& s, const io_args& a, bool done) noexcept {
        // A short read or EAGAIN means the socket buffer is empty for now.
        if (!done || (a.err == 0 && (a.kind == io_kind::recv || a.kind == io_kind::read) &&
                      static_cast<std::size_t>(a.res) < a.len && a.res > 0))
            s.read_drained = true;
    }

    void submit_io(io_request& r);

    void cancel_io(io_request& r) {
        if (comp_ && r.in_kernel) comp_->cancel(r);
    }

    void cancel_io_and_wait(io_request& r) noexcept;

    /// Delivers what the completion backend finished: like run_line for the readiness path.
    void take_completions();

    void finish_kernel(io_request& r);

    void withdraw_io(io_request& r) noexcept;

    /// Performs the requests of a ready line in order until one would block.
    void run_line(fd_slot& s, int dir) {
        io_line& line = s.lines[dir];
        while (io_request* r = line.head) {
            const bool done = perform_io(r->args, s.socket_error);
            if (dir == 0) note_read(s, r->args, done);
            if (!done) break;
            if (r->on_done && !r->on_done(*r)) continue;  // re-armed for its next chunk
            line.unlink(*r);
            --io_pending_;
            r->set_result();
            r->release();
        }
    }

    void release_fd(int fd, std::exception_ptr (*make_error)()) noexcept;

    // --- signals ---------------------------------------------------------------------

    void set_signal_callback(int sig, handle_ptr h);

    bool remove_signal_callback(int sig) noexcept;

    // --- running ---------------------------------------------------------------------

    // The iteration's two drivers, inline with it (see run_once).
    void run_forever() {
        check_can_run();
        struct running_scope {
            loop_impl& l;
            event_loop* prev;
            explicit running_scope(loop_impl& impl) : l(impl), prev(tls_running_loop) {
                l.running_ = true;
                l.thread_ = std::this_thread::get_id();
                tls_running_loop = &l.self_;
            }
            ~running_scope() {
                l.running_ = false;
                l.stopping_ = false;
                l.thread_ = {};
                tls_running_loop = prev;
            }
        } scope(*this);
        for (;;) {
            run_once(false);
            if (stopping_) break;
        }
    }

    void run_once_public(bool nowait) {
        check_can_run();
        struct once_scope {
            loop_impl& l;
            explicit once_scope(loop_impl& impl) : l(impl) {
                l.running_ = true;
                l.thread_ = std::this_thread::get_id();
                tls_running_loop = &l.self_;
            }
            ~once_scope() {
                l.running_ = false;
                l.thread_ = {};
                tls_running_loop = nullptr;
            }
        } scope(*this);
        run_once(nowait);
    }

    /// Blocks until `timeout` (< 0: no limit), an fd is ready, or another thread queues a
    /// callback. Announces itself first (park_), so call_soon_threadsafe wakes the loop
    /// only when it is parked, not with a syscall per call while it runs. With nothing a
    /// selector could report (no fd, no request in the kernel, no signal handler) it waits
    /// on a futex instead of the selector: a cross-thread wake is then one futex call
    /// rather than an eventfd write, the selector's return and a read.
    std::size_t park(duration timeout);

    // Inlined into its two callers: a task step that switches stacks returns through every
    // frame between it and the caller of run_once, each return mispredicted.
    [[gnu::always_inline]] inline void run_once(bool nowait) {
        if (!timers_.empty()) timers_.purge();  // an empty heap holds no cancelled timer

        duration timeout{-1};
        const bool work_queued = !ready_.empty() || stopping_ || ts_pending_.load(std::memory_order_acquire) ||
                                 signal_target_.any_pending.load(std::memory_order_acquire);
        const bool busy = nowait || work_queued;
        const bool has_deadline = !timers_.empty() && timers_.front().when != time_point::max();
        if (busy) {
            timeout = duration::zero();
        } else if (has_deadline) {
            timeout = std::max(duration::zero(), timers_.front().when - clock_->now());
        }

        std::size_t n;
        if (work_queued && selector_->size() == 0) {
            // Work is queued and no fd is registered that could be ready: the poll would be
            // a syscall that cannot report anything. Pending wakes and signals are flags,
            // read below; a wake left in the wake fd only makes a later wait return early.
            n = 0;
        } else if (has_deadline && timeout != duration::zero() && virtual_time_) {
            n = selector_->select(duration::zero(), events_);
            if (n == 0 && !ts_pending_.load(std::memory_order_acquire) &&
                !signal_target_.any_pending.load(std::memory_order_acquire))
                clock_->advance_to(timers_.front().when);
        } else if (timeout == duration::zero()) {
            n = selector_->select(timeout, events_);
        } else {
            n = park(timeout);
        }
        dispatch_events(n);
        if (comp_) take_completions();
        if (n == events_.size()) events_.resize(events_.size() * 2);
        take_threadsafe();
        take_signals();

        if (!timers_.empty()) {  // no clock read without timers
            const time_point now = clock_->now();
            while (handle_base* h = timers_.pop_due(now))
                ready_.push(ready_entry(h));  // the heap's reference moves to the queue
        }

        // The entries queued so far; a task switching straight to the next task's step
        // (take_handoff) consumes entries of this batch too.
        batch_left_ = ready_.size();
        while (batch_left_ != 0) {
            --batch_left_;
            const ready_entry e = ready_.pop();
            if (task_core* t = e.task()) {
                intrusive_ptr<future_base> keep = intrusive_ptr<future_base>::adopt(&t->as_future());
                // A direct step cannot throw: nothing for run_callback to report.
                if (debug_ || !t->direct_steppable() || !t->run_direct_step())
                    run_callback([t] { t->run_step(); }, [] { return task_core::step_location(); });
            } else {
                handle_ptr h = handle_ptr::adopt(e.handle());
                if (!h->cancelled()) run_callback([&h] { h->run(); }, [&h] { return h->where_; });
            }
        }
    }

    /// Runs one queued callback; `where()` (asked only for reports) says where it was
    /// scheduled.
    template <class Run, class Where>
    void run_callback(Run&& run, Where&& where) {
        const time_point t0 = debug_ ? clock_->now() : time_point{};
        try {
            run();
        } catch (...) {
            const std::source_location at = where();
            self_.call_exception_handler(
                exception_context{"Exception in " + describe(at), std::current_exception(), at});
        }
        if (debug_) {
            const duration took = clock_->now() - t0;
            if (took >= slow_) {
                char secs[32];
                std::snprintf(secs, sizeof secs, "%.3f", std::chrono::duration<double>(took).count());
                self_.log(log_level::warning, "Executing " + describe(where()) + " took " + secs + " seconds");
            }
        }
    }

    void report_step_error(std::exception_ptr e) noexcept;

    void stop() noexcept { stopping_ = true; }

    void close();

    void shutdown_default_executor() {
        if (executor_) executor_->shutdown(true);
    }
    void join_executor() noexcept { executor_.reset(); }

    void hold_for_job(future_base* f);
    bool drop_job(future_base* f) noexcept;
    void release_jobs() noexcept;

    thread_pool& default_executor();

    loop_stats stats() const noexcept;

private:
    void dispatch_events(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            const ready_event& ev = events_[i];
            const int fd = static_cast<int>(ev.token);
            if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) continue;
            fd_slot& s = fds_[fd];
            const std::uint32_t unused = ev.events & s.registered & ~s.wanted();
            if (ev.error != 0) s.socket_error = ev.error;
            if (ev.events & readable) {
                s.read_drained = false;
                if (!s.lines[0].empty()) run_line(s, 0);
                if (s.reader && !s.reader->cancelled()) {
                    s.reader->add_ref();
                    ready_.push(ready_entry(s.reader));
                }
            }
            if ((ev.events & writable)) {
                if (!s.lines[1].empty()) run_line(s, 1);
                if (s.writer && !s.writer->cancelled()) {
                    s.writer->add_ref();
                    ready_.push(ready_entry(s.writer));
                }
            }
            // Interest kept after the last request left (so that the next request needs no
            // selector call) is dropped once it fires with nobody waiting.
            if (unused != 0) {
                try {
                    sync_interest(fd, s, s.registered & ~(unused & ~s.wanted()));
                } catch (...) {  // a closed fd: its owner releases it
                }
            }
        }
    }

    void take_threadsafe() {
        if (!ts_pending_.load(std::memory_order_relaxed) || !ts_pending_.exchange(false, std::memory_order_acq_rel))
            return;
        std::vector<handle_base*> batch;
        {
            std::lock_guard lock(ts_mutex_);
            batch.swap(ts_queue_);
        }
        for (handle_base* h : batch)
            ready_.push(ready_entry(h));
    }

    void take_signals() {
        if (!signal_target_.any_pending.load(std::memory_order_relaxed) ||
            !signal_target_.any_pending.exchange(false, std::memory_order_acq_rel))
            return;
        for (std::size_t sig = 1; sig < signals_.size(); ++sig) {
            if (signals_[sig] && take_signal(static_cast<int>(sig))) {
                signals_[sig]->add_ref();
                ready_.push(ready_entry(signals_[sig]));
            }
        }
    }

    event_loop& self_;
    std::unique_ptr<selector> selector_;
    std::shared_ptr<clock> clock_;
    bool virtual_time_ = false;  // cached: the clock's kind never changes
    std::string backend_;

    ring<ready_entry> ready_;
    std::size_t batch_left_ = 0;  ///< entries of the running iteration's batch not yet run
    timer_heap timers_;

    std::vector<fd_slot> fds_;
    std::size_t readers_ = 0;
    std::size_t writers_ = 0;
    std::size_t io_pending_ = 0;
    completion_io* comp_ = nullptr;  // the selector's native I/O, if it has one
    std::vector<io_request*> completed_;
    std::vector<ready_event> events_;

    mutable std::mutex ts_mutex_;
    std::vector<handle_base*> ts_queue_;
    std::atomic<bool> ts_pending_{false};
    std::atomic<int> park_{running_state};  // where the loop blocks, if it does (park())
    std::atomic<bool> closed_{false};

    signal_target signal_target_;
    std::vector<handle_base*> signals_;
    std::size_t signal_count_ = 0;

    task_core* tasks_head_ = nullptr;
    std::size_t task_count_ = 0;

    bool running_ = false;
    bool stopping_ = false;
    std::thread::id thread_{};

public:
    bool debug_ = false;
    duration slow_{};
    exception_handler exception_handler_;
    log_handler log_handler_;
    std::unique_ptr<selector>& selector_ptr() noexcept { return selector_; }
    clock& clock_ref() noexcept { return *clock_; }
    const std::string& backend() const noexcept { return backend_; }
    bool running() const noexcept { return running_; }
    bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
    std::size_t pool_size_ = 0;

private:
    std::unordered_set<future_base*> jobs_;  ///< run_in_executor jobs in flight
    // Last member: destroyed first, so its workers are joined while the loop's
    // thread-safe queue (which their completions report to) still exists.
    std::unique_ptr<thread_pool> executor_;
};

}  // namespace corolla::detail
