#include <corolla/core/future.hpp>

#include <algorithm>

#include <corolla/core/event_loop.hpp>
#include "loop_registry.hpp"

namespace corolla::detail {

future_base::~future_base() {
    if (status_ == future_status::done && exception_ && !retrieved_) {
        report_if_alive(loop_, exception_context{is_task_ ? "Task exception was never retrieved"
                                                          : "Future exception was never retrieved",
                                                 exception_,
                                                 {}});
    }
}

void future_base::check_pending(const char* operation) const {
    if (status_ != future_status::pending)
        throw invalid_state_error(std::string(operation) + ": future is already " +
                                  (status_ == future_status::cancelled ? "cancelled" : "done"));
}

bool future_base::cancel(std::string message) { return cancel_now(std::move(message)); }

bool future_base::cancel_now(std::string message) {
    if (status_ != future_status::pending) return false;
    cancel_message_ = std::move(message);
    finish(future_status::cancelled);
    return true;
}

void future_base::set_exception(std::exception_ptr e) {
    check_pending("set_exception");
    if (!e) throw std::invalid_argument("set_exception: null exception_ptr");
    exception_ = std::move(e);
    finish(future_status::done);
}

std::exception_ptr future_base::exception() {
    if (status_ == future_status::pending) throw invalid_state_error("exception(): future is still pending");
    if (status_ == future_status::cancelled) throw cancelled_error(cancel_message_);
    retrieved_ = true;
    return exception_;
}

void future_base::check_result() {
    if (status_ == future_status::pending) throw invalid_state_error("result(): future is still pending");
    if (status_ == future_status::cancelled) throw cancelled_error(cancel_message_);
    retrieved_ = true;
    if (exception_) std::rethrow_exception(exception_);
}

callback_id future_base::add_done_callback(unique_function<void(future_base&)> fn) {
    if (done()) {
        schedule(std::move(fn));
        return 0;
    }
    const callback_id id = next_id_++;
    callbacks_.push_back(done_callback{id, std::move(fn)});
    return id;
}

std::size_t future_base::remove_done_callback(callback_id id) noexcept {
    auto it = std::find_if(callbacks_.begin(), callbacks_.end(), [id](const done_callback& c) { return c.id == id; });
    if (it == callbacks_.end()) return 0;
    callbacks_.erase(it);
    return 1;
}

void future_base::finish(future_status s) {
    status_ = s;
    auto callbacks = std::move(callbacks_);
    callbacks_.clear();
    for (auto& c : callbacks)
        schedule(std::move(c.fn));
}

void future_base::schedule(unique_function<void(future_base&)> fn) {
    loop_->call_soon([self = intrusive_ptr<future_base>(this), fn = std::move(fn)]() mutable { fn(*self); });
}

}  // namespace corolla::detail
