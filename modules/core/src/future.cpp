#include <corolla/core/future.hpp>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/task.hpp>
#include <corolla/core/detail/loop_access.hpp>
#include "loop_registry.hpp"

namespace corolla::detail {
namespace {

struct fn_callback_node final : done_callback_node, pooled {
    explicit fn_callback_node(unique_function<void(future_base&)> f) noexcept : fn(std::move(f)) {}
    unique_function<void(future_base&)> fn;
};

const std::string empty_message;

}  // namespace

future_base::~future_base() {
    if (status_ == future_status::done && exception_ && !retrieved_) {
        report_if_alive(loop_, exception_context{is_task_ ? "Task exception was never retrieved"
                                                          : "Future exception was never retrieved",
                                                 exception_,
                                                 {}});
    }
    if (callbacks_tail_) {
        done_callback_node* n = std::exchange(callbacks_tail_->next, nullptr);
        while (n) {
            done_callback_node* next = n->next;
            drop_node(n);
            n = next;
        }
    }
}

void future_base::check_pending(const char* operation) const {
    if (status_ != future_status::pending)
        throw invalid_state_error(std::string(operation) + ": future is already " +
                                  (status_ == future_status::cancelled ? "cancelled" : "done"));
}

bool future_base::cancel(std::string message) { return cancel_now(std::move(message)); }

const std::string& future_base::cancel_message() const noexcept {
    return cancel_message_ ? *cancel_message_ : empty_message;
}

bool future_base::cancel_now(std::string message) {
    if (status_ != future_status::pending) return false;
    if (!message.empty()) cancel_message_ = std::make_unique<std::string>(std::move(message));
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
    if (status_ == future_status::cancelled) throw cancelled_error(cancel_message());
    retrieved_ = true;
    return exception_;
}

void future_base::check_result() {
    if (status_ == future_status::pending) throw invalid_state_error("result(): future is still pending");
    if (status_ == future_status::cancelled) throw cancelled_error(cancel_message());
    retrieved_ = true;
    if (exception_) std::rethrow_exception(exception_);
}

callback_id future_base::add_done_callback(unique_function<void(future_base&)> fn) {
    if (done()) {
        schedule(std::move(fn));
        return 0;
    }
    auto* node = new fn_callback_node(std::move(fn));
    node->id = next_id_++;
    link(node);
    return node->id;
}

void future_base::add_waiting_task(task_core& t) {
    t.as_future().add_ref();  // held by the link, then by the queued step
    if (done()) {
        loop_access::schedule_task_step(*loop_, &t);
        return;
    }
    done_callback_node& node = t;
    node.id = 0;  // never matches remove_done_callback (ids start at 1)
    node.is_task = true;
    link(&node);
}

void future_base::link(done_callback_node* node) noexcept {
    if (callbacks_tail_) {
        node->next = callbacks_tail_->next;
        callbacks_tail_->next = node;
    } else {
        node->next = node;
    }
    callbacks_tail_ = node;
}

void future_base::drop_node(done_callback_node* node) noexcept {
    if (node->is_task)
        static_cast<task_core*>(node)->as_future().release();
    else
        delete static_cast<fn_callback_node*>(node);
}

std::size_t future_base::remove_done_callback(callback_id id) noexcept {
    if (id == 0 || !callbacks_tail_) return 0;
    done_callback_node* prev = callbacks_tail_;
    do {
        done_callback_node* n = prev->next;
        if (n->id == id) {
            if (n == prev)
                callbacks_tail_ = nullptr;  // it was the only one
            else {
                prev->next = n->next;
                if (n == callbacks_tail_) callbacks_tail_ = prev;
            }
            drop_node(n);
            return 1;
        }
        prev = n;
    } while (prev != callbacks_tail_);
    return 0;
}

void future_base::finish(future_status s) {
    status_ = s;
    if (!callbacks_tail_) return;
    done_callback_node* n = std::exchange(callbacks_tail_->next, nullptr);
    callbacks_tail_ = nullptr;
    try {
        while (n) {
            done_callback_node* next = n->next;
            if (n->is_task) {
                auto* t = static_cast<task_core*>(n);
                n = next;
                loop_access::schedule_task_step(*loop_, t);  // the link's reference moves to the queue
            } else {
                auto* node = static_cast<fn_callback_node*>(n);
                n = next;
                auto fn = std::move(node->fn);
                delete node;
                schedule(std::move(fn));
            }
        }
    } catch (...) {
        while (n) {
            done_callback_node* next = n->next;
            drop_node(n);
            n = next;
        }
        throw;
    }
}

void future_base::schedule(unique_function<void(future_base&)> fn) {
    loop_->call_soon([self = intrusive_ptr<future_base>(this), fn = std::move(fn)]() mutable { fn(*self); });
}

}  // namespace corolla::detail
