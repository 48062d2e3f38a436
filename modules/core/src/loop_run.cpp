// Running the loop: construction, run_forever / run_once, stop, close (which drops
// everything still registered, queued or in a kernel), stats and the default executor.
#include "loop_impl.hpp"

namespace corolla::detail {

loop_impl::loop_impl(event_loop& self, loop_options opts) : self_(self) {
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
    events_.resize(256);
    signal_target_.sel.store(selector_.get(), std::memory_order_release);
}

void loop_impl::report_step_error(std::exception_ptr e) noexcept {
    const std::source_location at = task_core::step_location();
    try {
        self_.call_exception_handler(exception_context{"Exception in " + describe(at), std::move(e), at});
    } catch (...) {  // out of memory for the message: nothing more to do
    }
}

void loop_impl::close() {
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
    timers_.clear();
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

thread_pool& loop_impl::default_executor() {
    check_open();
    if (!executor_) executor_ = std::make_unique<thread_pool>(pool_size_);
    return *executor_;
}

void loop_impl::hold_for_job(future_base* f) {
    jobs_.insert(f);
    f->add_ref();
}

bool loop_impl::drop_job(future_base* f) noexcept {
    if (jobs_.erase(f) == 0) return false;
    f->release();
    return true;
}

void loop_impl::release_jobs() noexcept {
    for (future_base* f : std::exchange(jobs_, {}))
        f->release();
}

loop_stats loop_impl::stats() const noexcept {
    loop_stats s;
    for (std::size_t i = 0; i < ready_.size(); ++i)
        if (ready_.at(i).task() || !ready_.at(i).handle()->cancelled()) ++s.ready;
    s.timers = timers_.live();
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

}  // namespace corolla::detail
