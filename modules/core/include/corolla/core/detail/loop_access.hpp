// detail::loop_access: the event loop's interface for corolla's own components (futures,
// tasks, timers, execution styles, the I/O modules), kept out of event_loop's public
// section. Users never need it; its members mirror event_loop's private ones.
#pragma once

#include <exception>
#include <memory>
#include <vector>

#include <corolla/core/event_loop.hpp>

namespace corolla::detail {

struct loop_access {
    // I/O requests (see event_loop's private section for their contracts)
    static bool try_io(event_loop& l, io_args& a) { return l.try_io(a); }
    static void submit_io(event_loop& l, io_request& r) { l.submit_io(r); }
    static void withdraw_io(event_loop& l, io_request& r) noexcept { l.withdraw_io(r); }
    static void cancel_io(event_loop& l, io_request& r) { l.cancel_io(r); }
    static void cancel_io_and_wait(event_loop& l, io_request& r) noexcept { l.cancel_io_and_wait(r); }
    static void release_fd(event_loop& l, int fd, std::exception_ptr (*make_error)()) noexcept {
        l.release_fd(fd, make_error);
    }

    // timers, steps and tasks
    static void on_timer_cancelled(event_loop& l) noexcept { l.on_timer_cancelled(); }
    static void schedule_timer(event_loop& l, const intrusive_ptr<handle_base>& h, time_point when) {
        l.schedule_timer(h, when);
    }
    static void schedule_ready(event_loop& l, const intrusive_ptr<handle_base>& h) { l.schedule_ready(h); }
    static void schedule_task_step(event_loop& l, task_core* t) { l.schedule_task_step(t); }
    static void report_task_step_error(event_loop& l, std::exception_ptr e) noexcept {
        l.report_task_step_error(std::move(e));
    }
    static void start_task(event_loop& l, task_core* t) { l.start_task(t); }
    static void untrack_task(event_loop& l, task_core* t) noexcept { l.untrack_task(t); }
    static std::vector<task_core*> live_tasks(const event_loop& l) { return l.live_tasks(); }

    // run_in_executor
    static const std::shared_ptr<loop_anchor>& anchor(const event_loop& l) noexcept { return l.anchor(); }
    static void hold_for_job(event_loop& l, future_base* f) { l.hold_for_job(f); }
    static bool drop_job(event_loop& l, future_base* f) noexcept { return l.drop_job(f); }

    /// The implementation behind `l` (core's own sources only).
    static loop_impl& impl(event_loop& l) noexcept { return *l.impl_; }
};

}  // namespace corolla::detail
