// The acquire operation shared by lock and semaphore. P provides try_acquire() (the
// no-wait path), line_up(loop) (a waiter in P's line, bound to `loop`), give_back()
// (pass on a lock or permit that was handed to a waiter which will not use it) and
// took_grant() (a waiter handed one has run and keeps it).
#pragma once

#include <exception>
#include <utility>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/event_loop.hpp>

namespace corolla::detail {

template <class P>
class acquire_op {
public:
    using result_type = void;
    explicit acquire_op(P& p) noexcept : p_(&p) {}
    acquire_op(acquire_op&& o) noexcept : p_(o.p_), w_(std::move(o.w_)) {}
    acquire_op& operator=(acquire_op&&) = delete;
    ~acquire_op() {
        if (w_) withdraw();
    }

    future_base* start(event_loop& loop) {
        if (p_->try_acquire()) return nullptr;
        w_ = p_->line_up(loop);
        return w_.get();
    }
    void finish(std::exception_ptr injected) {
        if (auto w = std::move(w_)) {
            rethrow_unless_granted(*w);
            if (injected)
                p_->give_back();  // handed over, then cancelled: pass it on
            else
                p_->took_grant();
        }
        if (injected) std::rethrow_exception(injected);
    }

private:
    /// Started but never finished (its task was destroyed): leave the line, or pass on
    /// what was handed over.
    void withdraw() noexcept {
        auto w = std::move(w_);
        if (w->list)
            w->list->remove(*w);
        else if (granted(*w))
            p_->give_back();
    }

    P* p_;
    intrusive_ptr<waiter> w_;
};

}  // namespace corolla::detail
