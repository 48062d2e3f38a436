#include <corolla/core/task_group.hpp>

#include <corolla/core/event_loop.hpp>

namespace corolla {
namespace detail {

void task_group_state::enter() {
    if (entered_) throw invalid_state_error("task_group: already entered");
    task_ref t = current_task();
    if (!t) throw invalid_state_error("task_group: must be entered inside a task");
    parent_ = std::move(t);
    loop_ = &parent_.as_future().loop();
    entered_ = true;
}

void task_group_state::check_open() const {
    if (!entered_) throw invalid_state_error("task_group: create_task before the group was entered");
    if (exiting_ && tasks_.empty()) throw invalid_state_error("task_group: create_task after the group finished");
    if (aborting_) throw invalid_state_error("task_group: create_task while the group is shutting down");
}

void task_group_state::adopt(future_base& t) {
    if (&t.loop() != loop_) throw std::invalid_argument("task_group: the task belongs to another event loop");
    auto it = tasks_.insert(tasks_.end(), intrusive_ptr<future_base>(&t));
    t.add_done_callback(
        [self = intrusive_ptr<task_group_state>(this), it](future_base& f) { self->on_task_done(it, f); });
}

void task_group_state::on_task_done(task_list::iterator it, future_base& t) {
    tasks_.erase(it);
    if (tasks_.empty() && on_completed_.valid() && !on_completed_.done()) on_completed_.set_result();
    if (t.cancelled()) return;
    std::exception_ptr e = t.exception();
    if (!e) return;
    errors_.push_back(e);
    if (parent_.done()) {
        loop_->call_exception_handler(
            exception_context{"task_group: a task failed after the task owning the group finished", e, {}});
        return;
    }
    if (!aborting_ && !parent_cancel_requested_) {
        // Stop whatever the body is awaiting; end_exit() withdraws this cancellation again.
        abort();
        parent_cancel_requested_ = true;
        parent_.cancel();
    }
}

void task_group_state::abort() {
    aborting_ = true;
    // Copy: a cancel may complete a task, but its done-callback (which erases it from
    // tasks_) only runs later, through the ready queue.
    for (auto& t : tasks_)
        if (!t->done()) t->cancel();
}

void task_group_state::begin_exit(std::exception_ptr body_error) {
    if (!entered_) throw invalid_state_error("task_group: exit before enter");
    if (exiting_) throw invalid_state_error("task_group: exited twice");
    exiting_ = true;
    body_error_ = body_error;
    if (body_error && is_cancellation(body_error)) propagate_cancel_ = body_error;
    if (body_error && !aborting_) abort();
}

future<void> task_group_state::children_done() {
    if (tasks_.empty()) {
        future<void> f(*loop_);
        f.set_result();
        return f;
    }
    if (!on_completed_.valid() || on_completed_.done()) on_completed_ = future<void>(*loop_);
    return on_completed_;
}

void task_group_state::wait_interrupted(std::exception_ptr e) {
    if (!is_cancellation(e)) std::rethrow_exception(e);
    // The parent was cancelled while waiting for the children: from outside the group,
    // unless the group is already aborting (its own cancellation of the parent).
    if (!aborting_) {
        propagate_cancel_ = e;
        abort();
    }
}

void task_group_state::end_exit() {
    if (!tasks_.empty()) throw invalid_state_error("task_group: end_exit while tasks are still running");
    exited_ = true;
    on_completed_ = {};
    if (parent_cancel_requested_ && parent_.uncancel() == 0) propagate_cancel_ = nullptr;
    if (propagate_cancel_ && errors_.empty()) std::rethrow_exception(propagate_cancel_);
    if (body_error_ && !is_cancellation(body_error_)) errors_.push_back(body_error_);
    if (errors_.empty()) return;
    if (parent_.cancelling() > 0) {
        // A cancellation from outside is pending: keep it (the count stays the same) so
        // the parent's next suspension is cancelled after the group is reported.
        parent_.uncancel();
        parent_.cancel();
    }
    throw exception_group("unhandled errors in a task_group", std::exchange(errors_, {}));
}

}  // namespace detail

task_group::~task_group() {
    // Normally the adapter's scope has exited already; a group dropped mid-way (its
    // parent abandoned at loop close) must not leave its children running unowned.
    if (s_->entered() && !s_->exited() && !s_->loop().is_closed()) s_->abort();
}

}  // namespace corolla
