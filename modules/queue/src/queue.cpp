#include <corolla/queue/queue.hpp>

#include <utility>

namespace corolla {

using detail::future_base;
using detail::intrusive_ptr;
using detail::waiter;
using detail::waiter_list;

queue_base::~queue_base() {
    auto gone = std::make_exception_ptr(invalid_state_error("the queue was destroyed while tasks waited on it"));
    getters_.fail_all(gone);
    putters_.fail_all(gone);
    joiners_.fail_all(gone);
}

void queue_base::task_done() {
    if (unfinished_ == 0) throw value_error("task_done() called more times than there were items");
    if (--unfinished_ == 0)
        while (waiter* w = joiners_.pop_front())
            w->set_result();
}

void queue_base::wake_getter(std::size_t size) {
    if (!getters_.empty() && size > reserved_items_) {
        ++reserved_items_;
        getters_.pop_front()->set_result();
    }
}

void queue_base::wake_putter(std::size_t size) {
    if (!putters_.empty() && !shutdown_ && can_put(size)) {
        ++reserved_slots_;
        putters_.pop_front()->set_result();
    }
}

void queue_base::throw_cannot_put() const { throw queue_shut_down("put on a queue that was shut down"); }

void queue_base::throw_cannot_get() const {
    if (shutdown_) throw queue_shut_down("get on a queue that was shut down and is empty");
    throw queue_empty("get_nowait: the queue is empty");
}

future_base* queue_base::wait_in(waiter_list& line, intrusive_ptr<waiter>& w, event_loop& loop) {
    binding_.bind(loop, "queue");
    w = detail::make_waiter(loop);
    line.push_back(*w);
    return w.get();
}

void queue_base::shut_down(std::size_t discarded) {
    shutdown_ = true;
    if (discarded > 0) {
        unfinished_ -= std::min(unfinished_, discarded);
        if (unfinished_ == 0)
            while (waiter* w = joiners_.pop_front())
                w->set_result();
    }
    auto e = std::make_exception_ptr(queue_shut_down("the queue was shut down"));
    getters_.fail_all(e);
    putters_.fail_all(e);
}

void queue_base::end_get_wait(intrusive_ptr<waiter> w, const std::exception_ptr& injected, std::size_t size) {
    detail::rethrow_unless_granted(*w);  // cancelled while waiting (it left the line) or shut down
    --reserved_items_;
    if (injected) wake_getter(size);  // the reserved item goes to the next getter
}

void queue_base::end_put_wait(intrusive_ptr<waiter> w, const std::exception_ptr& injected, std::size_t size) {
    detail::rethrow_unless_granted(*w);
    --reserved_slots_;
    if (injected) wake_putter(size);  // the reserved slot goes to the next putter
}

void queue_base::withdraw_get(intrusive_ptr<waiter> w, std::size_t size) noexcept {
    if (w->list) {
        w->list->remove(*w);
    } else if (detail::granted(*w)) {
        --reserved_items_;
        wake_getter(size);
    }
}

void queue_base::withdraw_put(intrusive_ptr<waiter> w, std::size_t size) noexcept {
    if (w->list) {
        w->list->remove(*w);
    } else if (detail::granted(*w)) {
        --reserved_slots_;
        wake_putter(size);
    }
}

future_base* queue_base::join_op::start(event_loop& loop) {
    if (q_->unfinished_ == 0) return nullptr;
    q_->binding_.bind(loop, "queue");
    w_ = detail::make_waiter(loop);
    q_->joiners_.push_back(*w_);
    return w_.get();
}

void queue_base::join_op::finish(std::exception_ptr injected) {
    if (auto w = std::move(w_)) detail::rethrow_unless_granted(*w);
    if (injected) std::rethrow_exception(injected);
}

}  // namespace corolla
