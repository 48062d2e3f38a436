#include <corolla/core/event_loop.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/task.hpp>
#include <corolla/core/thread_pool.hpp>
#include <corolla/core/detail/io_request.hpp>
#include <corolla/core/detail/loop_anchor.hpp>
#include "loop_registry.hpp"
#include "ring.hpp"
#include "signal_table.hpp"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace corolla {
namespace detail {

thread_local constinit event_loop* tls_running_loop = nullptr;

using handle_ptr = intrusive_ptr<handle_base>;

namespace {

// Where a loop blocks (loop_impl::park_): another thread waking it must know.
constexpr int running_state = 0;
constexpr int parked_in_selector = 1;
constexpr int parked_on_futex = 2;

#if defined(__linux__)
constexpr bool futex_parking = true;

/// Sleeps while `word` holds `expected`, at most `timeout` (< 0: no limit). Spurious
/// returns are fine: the loop just runs an iteration.
void futex_wait(std::atomic<int>& word, int expected, duration timeout) noexcept {
    timespec ts{};
    timespec* limit = nullptr;
    if (timeout.count() >= 0) {
        ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
        limit = &ts;
    }
    ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_PRIVATE, expected, limit, nullptr, 0);
}
void futex_wake(std::atomic<int>& word) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}
#else
constexpr bool futex_parking = false;  // elsewhere the loop always parks in its selector
void futex_wait(std::atomic<int>&, int, duration) noexcept {}
void futex_wake(std::atomic<int>&) noexcept {}
#endif

struct live_loops {
    std::mutex mutex;
    std::unordered_set<event_loop*> set;
};
live_loops& the_live_loops() {
    static live_loops l;
    return l;
}

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

struct timer_entry {
    time_point when;
    handle_base* h;  // owns one reference; h->timer_seq_ breaks ties
};
// std::*_heap build max-heaps; "greater" turns them into the min-heap we need.
struct timer_after {
    bool operator()(const timer_entry& a, const timer_entry& b) const noexcept {
        return a.when != b.when ? a.when > b.when : a.h->timer_seq_ > b.h->timer_seq_;
    }
};

// Requests waiting for one fd and direction, FIFO. The line owns one reference to each.
struct io_line {
    io_request* head = nullptr;
    io_request* tail = nullptr;
    bool empty() const noexcept { return head == nullptr; }
    void push(io_request& r) noexcept {
        r.add_ref();
        r.linked = true;
        r.next = nullptr;
        r.prev = tail;
        (tail ? tail->next : head) = &r;
        tail = &r;
    }
    /// Unlinks `r`; the caller takes over the line's reference.
    void unlink(io_request& r) noexcept {
        (r.prev ? r.prev->next : head) = r.next;
        (r.next ? r.next->prev : tail) = r.prev;
        r.prev = r.next = nullptr;
        r.linked = false;
    }
};

struct fd_slot {
    handle_base* reader = nullptr;  // each owns one reference
    handle_base* writer = nullptr;
    io_line lines[2];              // [0] waits for readable, [1] for writable
    io_line kernel[2];             // performed by a completion backend, same directions
    std::uint32_t registered = 0;  // the interest the selector has for this fd
    // A read request found the fd drained (a short read or EAGAIN) and no readiness was
    // reported since: the next read waits for readiness without trying the syscall first.
    bool read_drained = false;
    // A socket error the selector reported with an event (kqueue's fflags), which the
    // socket itself may no longer hold; the next operation that would meet it fails with
    // it (perform_io).
    int socket_error = 0;
    /// The interest the fd needs now: callbacks and waiting requests.
    std::uint32_t wanted() const noexcept {
        return (reader || !lines[0].empty() ? readable : 0u) | (writer || !lines[1].empty() ? writable : 0u);
    }
    std::uint32_t callbacks() const noexcept { return (reader ? readable : 0u) | (writer ? writable : 0u); }
};

std::string describe(std::source_location where) {
    if (!where.file_name() || !*where.file_name()) return "callback";
    return std::string("callback scheduled at ") + where.file_name() + ":" + std::to_string(where.line());
}

void default_log(log_level level, std::string_view message) {
    static constexpr const char* names[] = {"debug", "info", "warning", "error"};
    std::fprintf(stderr, "corolla %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(message.size()),
                 message.data());
}

}  // namespace

void register_live_loop(event_loop* loop) {
    auto& l = the_live_loops();
    std::lock_guard lock(l.mutex);
    l.set.insert(loop);
}

void unregister_live_loop(event_loop* loop) {
    auto& l = the_live_loops();
    std::lock_guard lock(l.mutex);
    l.set.erase(loop);
}

void report_if_alive(event_loop* loop, const exception_context& ctx) noexcept {
    {
        auto& l = the_live_loops();
        std::lock_guard lock(l.mutex);
        if (!l.set.contains(loop)) return;
    }
    loop->call_exception_handler(ctx);
}

void handle_base::cancel() noexcept {
    if (cancelled_) return;
    cancelled_ = true;
    if (timer_loop_) timer_loop_->on_timer_cancelled();
    if (!running_) drop_callback();
}

class loop_impl {
public:
    loop_impl(event_loop& self, loop_options opts) : self_(self) {
        clock_ = opts.clock ? std::move(opts.clock) : std::make_shared<steady_clock_source>();
        if (opts.selector) {
            selector_ = std::move(opts.selector);
        } else {
            selector_ = make_selector(opts.backend);
        }
        backend_ = std::string(selector_->name());
        comp_ = selector_->completion();
        virtual_time_ = clock_->is_virtual();
        debug_ = opts.debug;
        slow_ = opts.slow_callback_duration;
        pool_size_ = opts.thread_pool_size;
        fiber_stack_size_ = opts.fiber_stack_size;
        events_.resize(256);
        signal_target_.sel.store(selector_.get(), std::memory_order_release);
    }

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

    void schedule_threadsafe(handle_base* owned) {
        handle_ptr h = handle_ptr::adopt(owned);  // released here if we throw
        std::lock_guard lock(ts_mutex_);
        check_open();
        ts_queue_.push_back(h.detach());
        ts_pending_.store(true, std::memory_order_seq_cst);
        // Only a parked loop needs waking: a running one checks ts_pending_ before it
        // blocks (park()). Under the lock: close() cannot destroy the selector meanwhile.
        int p = park_.load(std::memory_order_seq_cst);
        if (p == parked_in_selector) {
            selector_->wake();
        } else if (p == parked_on_futex && park_.compare_exchange_strong(p, running_state)) {
            futex_wake(park_);
        }
    }

    void schedule_at(const handle_ptr& h, time_point when) {
        check_open();
        check_thread();
        h->when_ = when;
        h->timer_seq_ = timer_seq_++;
        h->timer_loop_ = &self_;
        h->add_ref();
        timers_.push_back(timer_entry{when, h.get()});
        std::push_heap(timers_.begin(), timers_.end(), timer_after{});
    }

    void on_timer_cancelled() noexcept { ++cancelled_timers_; }

    task_core* yield_task_step(task_core* t, bool take_next) {
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
        return take_next ? take_direct_step(t) : nullptr;
    }
    /// yield_task_step outside a running loop (not reached by the task machinery): the
    /// checks schedule_task_step makes.
    void schedule_task_step_checked(task_core*) {
        check_open();
        check_thread();
    }

    task_core* take_direct_step(task_core* from) noexcept {
        if (batch_left_ == 0 || debug_) return nullptr;
        task_core* t = ready_.front().task();
        if (!t || t == from || !t->direct_ready()) return nullptr;
        ready_.pop();
        --batch_left_;
        from->switch_step_to(*t);
        // The entry's reference: the task stays alive through the loop's own reference
        // (direct_ready() checks it is tracked).
        t->as_future().release();
        return t;
    }

    // --- tasks -----------------------------------------------------------------------

    void track_task(task_core* t) noexcept {
        t->prev_task = nullptr;
        t->next_task = tasks_head_;
        if (tasks_head_) tasks_head_->prev_task = t;
        tasks_head_ = t;
        ++task_count_;
    }
    void untrack_task(task_core* t) noexcept {
        if (t->prev_task)
            t->prev_task->next_task = t->next_task;
        else
            tasks_head_ = t->next_task;
        if (t->next_task) t->next_task->prev_task = t->prev_task;
        t->prev_task = t->next_task = nullptr;
        --task_count_;
    }
    std::vector<task_core*> live_tasks() const {
        std::vector<task_core*> v;
        for (task_core* t = tasks_head_; t; t = t->next_task)
            v.push_back(t);
        std::reverse(v.begin(), v.end());  // creation order (the list grows at its head)
        return v;
    }
    /// Tasks still pending at close are abandoned: their code is destroyed (running the
    /// destructors of its locals); each reports "destroyed while pending" when it goes.
    void abandon_tasks() noexcept {
        while (task_core* t = tasks_head_) {
            untrack_task(t);
            t->abandon();  // may destroy the task, which then reports itself
        }
    }

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

    void set_fd_callback(int fd, std::uint32_t dir, handle_ptr h) {
        check_open();
        check_thread();
        fd_slot& s = slot_for(fd);
        handle_base*& target = dir == readable ? s.reader : s.writer;
        if (target)
            throw already_registered_error("fd " + std::to_string(fd) + " already has a " +
                                           (dir == readable ? "reader" : "writer"));
        sync_interest(fd, s, s.registered | dir);
        target = h.get();
        h->add_ref();
        ++(dir == readable ? readers_ : writers_);
    }

    bool remove_fd_callback(int fd, std::uint32_t dir) {
        if (closed_.load(std::memory_order_acquire)) return false;
        check_thread();
        if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return false;
        fd_slot& s = fds_[fd];
        handle_base*& target = dir == readable ? s.reader : s.writer;
        if (!target) return false;
        handle_base* h = std::exchange(target, nullptr);
        --(dir == readable ? readers_ : writers_);
        // Deregister before releasing: if the selector throws, the slot stays consistent
        // with the selector (the callback is gone either way).
        try {
            sync_interest(fd, s, s.wanted());
        } catch (...) {
            h->cancel();
            h->release();
            throw;
        }
        // The fd's user let go of it and may close it: an error held for it must not
        // reach a file opened under the same number later.
        if (s.wanted() == 0) s.socket_error = 0;
        h->cancel();
        h->release();
        return true;
    }

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

    void submit_io(io_request& r) {
        check_open();
        check_thread();
        const int fd = r.args.fd;
        fd_slot& s = slot_for(fd);
        const int dir = r.args.reads() ? 0 : 1;
        if (comp_ && comp_->submit(r)) {
            r.in_kernel = true;
            s.kernel[dir].push(r);
            ++io_pending_;
            return;
        }
        sync_interest(fd, s, s.registered | (dir == 0 ? readable : writable));
        s.lines[dir].push(r);
        ++io_pending_;
    }

    void cancel_io(io_request& r) {
        if (comp_ && r.in_kernel) comp_->cancel(r);
    }

    void cancel_io_and_wait(io_request& r) noexcept {
        if (!comp_ || !r.in_kernel) return;
        comp_->cancel_and_wait(r);
        take_completions();
    }

    /// Delivers what the completion backend finished: like run_line for the readiness path.
    void take_completions() {
        if (!comp_) return;
        completed_.clear();
        comp_->take_completed(completed_);
        for (io_request* r : completed_)
            finish_kernel(*r);
        completed_.clear();
    }

    void finish_kernel(io_request& r) {
        intrusive_ptr<io_request> backend_ref = intrusive_ptr<io_request>::adopt(&r);
        fd_slot& s = fds_[r.args.fd];
        const int dir = r.args.reads() ? 0 : 1;
        if (r.linked) {
            s.kernel[dir].unlink(r);
            r.release();  // the kernel line's reference; backend_ref keeps it alive
        }
        r.in_kernel = false;
        --io_pending_;
        if (r.done()) return;
        if (r.failure) {
            r.set_exception(r.failure);
            return;
        }
        if (r.cancel_requested && r.args.err == ECANCELED) {
            r.abort(r.cancel_message);
            return;
        }
        if (dir == 0) note_read(s, r.args, true);
        if (r.on_done && !r.on_done(r)) {
            if (r.cancel_requested) {
                r.abort(r.cancel_message);  // what the hook took is kept by its owner
                return;
            }
            if (comp_->submit(r)) {  // the next chunk, in the kernel again
                r.in_kernel = true;
                s.kernel[dir].push(r);
                ++io_pending_;
                return;
            }
            // A kind the backend stopped taking (it cannot happen for a kind it took):
            // fall back to readiness.
            sync_interest(r.args.fd, s, s.registered | (dir == 0 ? readable : writable));
            s.lines[dir].push(r);
            ++io_pending_;
            return;
        }
        r.set_result();
    }

    void withdraw_io(io_request& r) noexcept {
        if (!r.linked || r.in_kernel) return;
        fd_slot& s = fds_[r.args.fd];
        s.lines[r.args.reads() ? 0 : 1].unlink(r);
        --io_pending_;
        r.release();  // the line's reference; the canceller holds another
        // The selector keeps the interest; the next event nobody waits for drops it.
    }

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

    void release_fd(int fd, std::exception_ptr (*make_error)()) noexcept {
        if (closed_.load(std::memory_order_acquire) || fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
        fd_slot& s = fds_[fd];
        for (io_line& line : s.lines)
            while (io_request* r = line.head) {
                line.unlink(*r);
                --io_pending_;
                try {
                    r->set_exception(make_error());
                } catch (...) {  // out of memory making the error: the waiter still wakes
                    r->abort("file descriptor released");
                }
                r->release();
            }
        for (io_line& line : s.kernel)
            for (io_request* r = line.head; r; r = r->next) {
                if (!r->failure) {
                    try {
                        r->failure = make_error();
                    } catch (...) {
                    }
                }
                r->cancel_requested = true;
                try {
                    comp_->cancel(*r);  // completes later, with the failure
                } catch (...) {
                }
            }
        s.read_drained = false;
        s.socket_error = 0;
        if (comp_) comp_->release(fd);
        try {
            sync_interest(fd, s, s.callbacks());
        } catch (...) {  // the fd is going away; the selector forgets it with it
            s.registered = s.callbacks();
        }
    }

    // --- signals ---------------------------------------------------------------------

    void set_signal_callback(int sig, handle_ptr h) {
        check_open();
        check_thread();
        claim_signal(sig, &signal_target_);
        if (static_cast<std::size_t>(sig) >= signals_.size()) signals_.resize(static_cast<std::size_t>(signal_limit()));
        if (handle_base* old = std::exchange(signals_[sig], nullptr)) {
            old->cancel();
            old->release();
        } else {
            ++signal_count_;
        }
        signals_[sig] = h.get();
        h->add_ref();
    }

    bool remove_signal_callback(int sig) noexcept {
        if (sig <= 0 || static_cast<std::size_t>(sig) >= signals_.size() || !signals_[sig]) return false;
        release_signal(sig, &signal_target_);
        handle_base* h = std::exchange(signals_[sig], nullptr);
        h->cancel();
        h->release();
        --signal_count_;
        return true;
    }

    // --- running ---------------------------------------------------------------------

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
    std::size_t park(duration timeout) {
        const bool futex = futex_parking && selector_->size() == 0 && io_pending_ == 0 && signal_count_ == 0;
        const int state = futex ? parked_on_futex : parked_in_selector;
        park_.store(state, std::memory_order_seq_cst);
        std::size_t n = 0;
        if (!ts_pending_.load(std::memory_order_seq_cst)) {  // else a callback came meanwhile
            if (futex)
                futex_wait(park_, state, timeout);
            else
                n = selector_->select(timeout, events_);
        }
        park_.store(running_state, std::memory_order_seq_cst);
        return n;
    }

    // Inlined into its two callers: a task step that switches stacks returns through every
    // frame between it and the caller of run_once, each return mispredicted.
    [[gnu::always_inline]] inline void run_once(bool nowait) {
        if (!timers_.empty()) purge_timers();  // an empty heap holds no cancelled timer

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

        const time_point now = timers_.empty() ? time_point{} : clock_->now();
        while (!timers_.empty() && timers_.front().when <= now && timers_.front().when != time_point::max()) {
            handle_base* h = pop_timer();
            if (h->cancelled()) {
                --cancelled_timers_;
                h->release();
            } else {
                ready_.push(ready_entry(h));  // the heap's reference moves to the queue
            }
        }

        // The entries queued so far; a task switching straight to the next task's step
        // (take_direct_step) consumes entries of this batch too.
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

    void report_step_error(std::exception_ptr e) noexcept {
        const std::source_location at = task_core::step_location();
        try {
            self_.call_exception_handler(exception_context{"Exception in " + describe(at), std::move(e), at});
        } catch (...) {  // out of memory for the message: nothing more to do
        }
    }

    void stop() noexcept { stopping_ = true; }

    void close() {
        if (running_) throw loop_running_error("cannot close a running event loop");
        if (!closed_.load(std::memory_order_acquire)) abandon_tasks();
        {
            std::lock_guard lock(ts_mutex_);
            if (closed_.exchange(true)) return;
        }
        for (std::size_t sig = 0; sig < signals_.size(); ++sig)
            remove_signal_callback(static_cast<int>(sig));
        signal_target_.sel.store(nullptr, std::memory_order_release);
        for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
            fd_slot& s = fds_[fd];
            for (io_line& line : s.lines)
                while (io_request* r = line.head) {
                    line.unlink(*r);
                    r->abort("event loop closed");
                    r->release();
                }
            for (io_line& line : s.kernel)
                while (io_request* r = line.head) {
                    r->cancel_requested = true;
                    comp_->cancel_and_wait(*r);  // the kernel lets go of its buffers
                    take_completions();
                    if (line.head == r) {  // not delivered (cannot happen): drop it anyway
                        line.unlink(*r);
                        r->release();
                    }
                }
            if (s.registered == 0) continue;
            s.registered = 0;
            try {
                selector_->remove(static_cast<int>(fd));
            } catch (...) {  // closing must finish; the selector goes away below anyway
            }
            for (handle_base* h : {std::exchange(s.reader, nullptr), std::exchange(s.writer, nullptr)})
                if (h) {
                    h->cancel();
                    h->release();
                }
        }
        readers_ = writers_ = 0;
        io_pending_ = 0;
        // Dropped callbacks are cancelled, not just released: that frees what they
        // captured even when something else still holds the handle (a sleep future
        // holding its own timer, say), so no reference cycle outlives the loop.
        batch_left_ = 0;
        while (!ready_.empty()) {
            const ready_entry e = ready_.pop();
            if (task_core* t = e.task()) {
                t->as_future().release();
            } else {
                e.handle()->cancel();
                e.handle()->release();
            }
        }
        while (!timers_.empty()) {
            handle_base* h = pop_timer();
            h->cancel();
            h->release();
        }
        cancelled_timers_ = 0;
        std::vector<handle_base*> ts;
        {
            std::lock_guard lock(ts_mutex_);
            ts.swap(ts_queue_);
            selector_.reset();
        }
        for (handle_base* h : ts) {
            h->cancel();
            h->release();
        }
        // No new jobs; running ones finish, and the destructor joins the workers.
        if (executor_) executor_->shutdown(false);
    }

    void shutdown_default_executor() {
        if (executor_) executor_->shutdown(true);
    }
    void join_executor() noexcept { executor_.reset(); }

    void hold_for_job(future_base* f) {
        jobs_.insert(f);
        f->add_ref();
    }
    bool drop_job(future_base* f) noexcept {
        if (jobs_.erase(f) == 0) return false;
        f->release();
        return true;
    }
    void release_jobs() noexcept {
        for (future_base* f : std::exchange(jobs_, {}))
            f->release();
    }

    thread_pool& default_executor() {
        check_open();
        if (!executor_) executor_ = std::make_unique<thread_pool>(pool_size_);
        return *executor_;
    }

    loop_stats stats() const noexcept {
        loop_stats s;
        for (std::size_t i = 0; i < ready_.size(); ++i)
            if (ready_.at(i).task() || !ready_.at(i).handle()->cancelled()) ++s.ready;
        s.timers = timers_.size() - cancelled_timers_;
        s.timer_heap = timers_.size();
        s.readers = readers_;
        s.writers = writers_;
        s.io_requests = io_pending_;
        s.signal_handlers = signal_count_;
        s.tasks = task_count_;
        std::lock_guard lock(ts_mutex_);
        s.threadsafe_pending = ts_queue_.size();
        return s;
    }

private:
    handle_base* pop_timer() noexcept {
        std::pop_heap(timers_.begin(), timers_.end(), timer_after{});
        handle_base* h = timers_.back().h;
        timers_.pop_back();
        h->timer_loop_ = nullptr;
        return h;
    }

    // asyncio's rule (BaseEventLoop._run_once): rebuild the heap once it holds more than
    // 100 entries of which more than half are cancelled, else drop cancelled ones from its
    // head; so the heap never holds much more than twice the live timers, or 100.
    void purge_timers() {
        if (timers_.size() > 100 && cancelled_timers_ * 2 > timers_.size()) {
            std::erase_if(timers_, [](const timer_entry& t) {
                if (!t.h->cancelled()) return false;
                t.h->timer_loop_ = nullptr;
                t.h->release();
                return true;
            });
            std::make_heap(timers_.begin(), timers_.end(), timer_after{});
            cancelled_timers_ = 0;
        }
        while (!timers_.empty() && timers_.front().h->cancelled()) {
            pop_timer()->release();
            --cancelled_timers_;
        }
    }

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
    std::vector<timer_entry> timers_;
    std::size_t cancelled_timers_ = 0;
    std::uint64_t timer_seq_ = 0;

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
    std::size_t fiber_stack_size_ = 0;

private:
    std::unordered_set<future_base*> jobs_;  ///< run_in_executor jobs in flight
    // Last member: destroyed first, so its workers are joined while the loop's
    // thread-safe queue (which their completions report to) still exists.
    std::unique_ptr<thread_pool> executor_;
};

}  // namespace detail

event_loop::event_loop() : event_loop(loop_options{}) {}

event_loop::event_loop(loop_options options)
    : impl_(std::make_unique<detail::loop_impl>(*this, std::move(options))),
      anchor_(std::make_shared<detail::loop_anchor>()) {
    anchor_->loop = this;
    detail::register_live_loop(this);
}

void event_loop::hold_for_job(detail::future_base* f) { impl_->hold_for_job(f); }
bool event_loop::drop_job(detail::future_base* f) noexcept { return impl_->drop_job(f); }

event_loop::~event_loop() {
    try {
        impl_->close();  // while still registered live: dropped futures may report to us
    } catch (...) {      // destroyed while running (from inside a callback): nothing sane to do
    }
    {
        // From here on, executor jobs see the loop gone and leave its futures alone.
        std::lock_guard lock(anchor_->mutex);
        anchor_->loop = nullptr;
    }
    impl_->join_executor();
    impl_->release_jobs();
    detail::unregister_live_loop(this);
}

time_point event_loop::time() const noexcept { return impl_->clock_ref().now(); }
void event_loop::run_forever() { impl_->run_forever(); }
void event_loop::run_once(bool nowait) { impl_->run_once_public(nowait); }
void event_loop::stop() noexcept { impl_->stop(); }
void event_loop::close() { impl_->close(); }
thread_pool& event_loop::default_executor() { return impl_->default_executor(); }
void event_loop::shutdown_default_executor() { impl_->shutdown_default_executor(); }
bool event_loop::is_running() const noexcept { return impl_->running(); }
bool event_loop::is_closed() const noexcept { return impl_->closed(); }
void event_loop::check_open() const { impl_->check_open(); }
void event_loop::schedule(const detail::intrusive_ptr<detail::handle_base>& h) { impl_->schedule(h); }
void event_loop::schedule_threadsafe(detail::handle_base* owned) { impl_->schedule_threadsafe(owned); }
void event_loop::schedule_at(const detail::intrusive_ptr<detail::handle_base>& h, time_point when) {
    impl_->schedule_at(h, when);
}
void event_loop::on_timer_cancelled() noexcept { impl_->on_timer_cancelled(); }
void event_loop::schedule_task_step(detail::task_core* t) { impl_->schedule_task_step(t); }
detail::task_core* event_loop::take_direct_step(detail::task_core* from) noexcept {
    return impl_->take_direct_step(from);
}
detail::task_core* event_loop::yield_task_step(detail::task_core* t, bool take_next) {
    return impl_->yield_task_step(t, take_next);
}
void event_loop::track_task(detail::task_core* t) noexcept { impl_->track_task(t); }
void event_loop::report_task_step_error(std::exception_ptr e) noexcept { impl_->report_step_error(std::move(e)); }
void event_loop::start_task(detail::task_core* t) {
    impl_->track_task(t);
    impl_->schedule_task_step(t);
}
void event_loop::untrack_task(detail::task_core* t) noexcept { impl_->untrack_task(t); }
std::vector<detail::task_core*> event_loop::live_tasks() const { return impl_->live_tasks(); }

void event_loop::set_fd_callback(int fd, std::uint32_t direction, detail::intrusive_ptr<detail::handle_base> h) {
    impl_->set_fd_callback(fd, direction, std::move(h));
}
bool event_loop::try_io(detail::io_args& a) {
    impl_->check_thread();
    return impl_->try_io(a);
}
void event_loop::submit_io(detail::io_request& r) { impl_->submit_io(r); }
void event_loop::withdraw_io(detail::io_request& r) noexcept { impl_->withdraw_io(r); }
void event_loop::cancel_io(detail::io_request& r) { impl_->cancel_io(r); }
void event_loop::cancel_io_and_wait(detail::io_request& r) noexcept { impl_->cancel_io_and_wait(r); }
void event_loop::release_fd(int fd, std::exception_ptr (*make_error)()) noexcept { impl_->release_fd(fd, make_error); }

bool event_loop::remove_reader(int fd) { return impl_->remove_fd_callback(fd, readable); }
bool event_loop::remove_writer(int fd) { return impl_->remove_fd_callback(fd, writable); }
void event_loop::set_signal_callback(int sig, detail::intrusive_ptr<detail::handle_base> h) {
    impl_->set_signal_callback(sig, std::move(h));
}
bool event_loop::remove_signal_handler(int sig) { return impl_->remove_signal_callback(sig); }

void event_loop::run_until_done(detail::future_base& f) {
    if (&f.loop() != this) throw std::invalid_argument("run_until_complete: the future belongs to another event loop");
    impl_->check_can_run();
    if (!f.done()) {
        const callback_id id = f.add_done_callback([this](detail::future_base&) { stop(); });
        try {
            run_forever();
        } catch (...) {
            f.remove_done_callback(id);
            throw;
        }
        f.remove_done_callback(id);
    }
    if (!f.done()) throw invalid_state_error("event loop stopped before the future completed");
}

void event_loop::set_exception_handler(exception_handler h) { impl_->exception_handler_ = std::move(h); }

void event_loop::call_exception_handler(const exception_context& ctx) noexcept {
    if (!impl_->exception_handler_) {
        default_exception_handler(ctx);
        return;
    }
    try {
        impl_->exception_handler_(*this, ctx);
    } catch (...) {
        default_exception_handler(
            exception_context{"Unhandled error in exception handler (while handling: " + ctx.message + ")",
                              std::current_exception(), ctx.where});
    }
}

void event_loop::default_exception_handler(const exception_context& ctx) noexcept {
    try {
        std::string text = ctx.message.empty() ? "Unhandled exception in event loop" : ctx.message;
        if (ctx.exception) {
            try {
                std::rethrow_exception(ctx.exception);
            } catch (const std::exception& e) {
                text += "\n  exception: ";
                text += typeid(e).name();
                text += ": ";
                text += e.what();
            } catch (const cancelled_error& e) {
                text += "\n  exception: cancelled_error: ";
                text += e.what();
            } catch (...) {
                text += "\n  exception: (not a std::exception)";
            }
        }
        log(log_level::error, text);
    } catch (...) {  // out of memory while formatting: nothing more to do
    }
}

void event_loop::set_log_handler(log_handler h) { impl_->log_handler_ = std::move(h); }

void event_loop::log(log_level level, std::string_view message) noexcept {
    try {
        if (impl_->log_handler_)
            impl_->log_handler_(level, message);
        else
            detail::default_log(level, message);
    } catch (...) {
    }
}

void event_loop::set_debug(bool on) noexcept { impl_->debug_ = on; }
bool event_loop::get_debug() const noexcept { return impl_->debug_; }
std::size_t event_loop::fiber_stack_size() const noexcept { return impl_->fiber_stack_size_; }
void event_loop::set_slow_callback_duration(duration d) noexcept { impl_->slow_ = d; }
duration event_loop::slow_callback_duration() const noexcept { return impl_->slow_; }
std::string_view event_loop::backend_name() const noexcept { return impl_->backend(); }
corolla::selector& event_loop::selector() {
    impl_->check_open();
    return *impl_->selector_ptr();
}
corolla::clock& event_loop::clock() noexcept { return impl_->clock_ref(); }
loop_stats event_loop::stats() const noexcept { return impl_->stats(); }

}  // namespace corolla
