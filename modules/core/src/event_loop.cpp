#include <corolla/core/event_loop.hpp>

#include <algorithm>
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
#include <corolla/core/detail/loop_anchor.hpp>
#include "loop_registry.hpp"
#include "ring.hpp"
#include "signal_table.hpp"

namespace corolla {
namespace detail {

thread_local constinit event_loop* tls_running_loop = nullptr;

using handle_ptr = intrusive_ptr<handle_base>;

namespace {

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

struct fd_slot {
    handle_base* reader = nullptr;  // each owns one reference
    handle_base* writer = nullptr;
    std::uint32_t interest() const noexcept { return (reader ? readable : 0u) | (writer ? writable : 0u); }
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
        ts_pending_.store(true, std::memory_order_release);
        selector_->wake();  // under the lock: close() cannot destroy the selector meanwhile
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

    void set_fd_callback(int fd, std::uint32_t dir, handle_ptr h) {
        check_open();
        check_thread();
        if (fd < 0) throw bad_fd_error(fd, "negative file descriptor");
        if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 1);
        fd_slot& s = fds_[fd];
        handle_base*& target = dir == readable ? s.reader : s.writer;
        if (target)
            throw already_registered_error("fd " + std::to_string(fd) + " already has a " +
                                           (dir == readable ? "reader" : "writer"));
        const std::uint32_t old = s.interest();
        const std::uint32_t now = old | dir;
        if (old == 0)
            selector_->add(fd, now, static_cast<std::uint64_t>(fd));
        else
            selector_->modify(fd, now, static_cast<std::uint64_t>(fd));
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
        const std::uint32_t left = s.interest();
        // Deregister before releasing: if the selector throws, the slot stays consistent
        // with the selector (the callback is gone either way).
        try {
            if (left == 0)
                selector_->remove(fd);
            else
                selector_->modify(fd, left, static_cast<std::uint64_t>(fd));
        } catch (...) {
            h->cancel();
            h->release();
            throw;
        }
        h->cancel();
        h->release();
        return true;
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
        } else {
            n = selector_->select(timeout, events_);
        }
        dispatch_events(n);
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
            if (s.interest() == 0) continue;
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

    void purge_timers() {
        if (cancelled_timers_ > 100 && cancelled_timers_ * 2 > timers_.size()) {
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
            if ((ev.events & readable) && s.reader && !s.reader->cancelled()) {
                s.reader->add_ref();
                ready_.push(ready_entry(s.reader));
            }
            if ((ev.events & writable) && s.writer && !s.writer->cancelled()) {
                s.writer->add_ref();
                ready_.push(ready_entry(s.writer));
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
    std::vector<ready_event> events_;

    mutable std::mutex ts_mutex_;
    std::vector<handle_base*> ts_queue_;
    std::atomic<bool> ts_pending_{false};
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
