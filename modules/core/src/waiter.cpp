#include <corolla/core/detail/waiter.hpp>

#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/core/task.hpp>

namespace corolla::detail {

waiter_list::~waiter_list() {
    // The owner failed or granted its waiters already; unlink whatever is left so that no
    // waiter points at a dead list.
    while (pop_front() != nullptr) {
    }
}

void waiter_list::fail_all(const std::exception_ptr& e) {
    while (waiter* w = pop_front())
        if (!w->done()) w->set_exception(e);
}

bool waiter::cancel(std::string message) {
    if (done()) return false;
    if (on_cancel) return on_cancel(*this, message);
    if (list) list->remove(*this);
    return cancel_now(std::move(message));
}

waiter::~waiter() {
    if (list) list->remove(*this);
}

void loop_binding::bind_first(event_loop& loop, const char* what) {
    if (loop_ != nullptr) throw invalid_state_error(std::string(what) + " is bound to a different event loop");
    loop_ = &loop;
}

event_loop& current_loop(const char* what) {
    if (task_core* t = current_task_core()) return t->as_future().loop();
    if (event_loop* loop = event_loop::running()) return *loop;
    throw invalid_state_error(std::string(what) + ": no running task or event loop (pass the loop explicitly)");
}

void defer_cancel(const std::exception_ptr& injected) noexcept {
    if (!injected) return;
    if (task_core* t = current_task_core()) t->redeliver_cancel();
}

void defer_cancel(const std::string& message) {
    if (task_core* t = current_task_core()) t->redeliver_cancel(message);
}

void rethrow_failed(waiter& w) {
    if (w.cancelled()) throw cancelled_error(w.cancel_message());
    if (std::exception_ptr e = w.exception()) std::rethrow_exception(e);
}

}  // namespace corolla::detail
