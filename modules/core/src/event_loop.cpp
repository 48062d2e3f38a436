// The public event_loop: everything forwards to loop_impl (loop_impl.hpp), plus the
// registry of live loops (reports for a loop already gone are dropped) and the exception
// and log handlers.
#include <corolla/core/event_loop.hpp>

#include <cstdio>
#include <mutex>
#include <string>
#include <typeinfo>
#include <unordered_set>

#include <corolla/core/detail/loop_anchor.hpp>
#include <corolla/core/detail/loop_access.hpp>
#include "loop_impl.hpp"
#include "loop_registry.hpp"

namespace corolla {
namespace detail {

thread_local constinit event_loop* tls_running_loop = nullptr;

namespace {

struct live_loops {
    std::mutex mutex;
    std::unordered_set<event_loop*> set;
};
live_loops& the_live_loops() {
    static live_loops l;
    return l;
}

void default_log(log_level level, std::string_view message) {
    static constexpr const char* names[] = {"debug", "info", "warning", "error"};
    std::fprintf(stderr, "corolla %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(message.size()),
                 message.data());
}

}  // namespace

std::string describe(std::source_location where) {
    if (!where.file_name() || !*where.file_name()) return "callback";
    return std::string("callback scheduled at ") + where.file_name() + ":" + std::to_string(where.line());
}

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
    if (timer_loop_) loop_access::on_timer_cancelled(*timer_loop_);
    if (!running_) drop_callback();
}

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
