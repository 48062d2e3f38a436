// Operations: what sync, queue and net objects return for a call that may have to wait
// (lock.acquire(), q.get(), ...). One object serves both execution styles:
//
//     co_await q.get();                 // in a coroutine (adapters/coro)
//     corolla::await(q.get());          // in stackful code (adapters/)
//     auto f = corolla::as_future(q.get());   // started now, as a future (wait_for, gather)
//
// The protocol, for those who write operations:
//
//     using result_type = R;
//     detail::future_base* start(event_loop& loop);
//         Tries to complete at once; returns null when it did. Otherwise it registers
//         with its object and returns the future to suspend on (the operation keeps that
//         future alive). `loop` is the loop of the awaiting task.
//     R finish(std::exception_ptr injected);
//         Called once: right after start() returned null, or after the future is done.
//         Returns the value or throws. `injected` is a cancellation requested after the
//         future completed but before the waiting code resumed: the operation gives back
//         or passes on what it was granted (a lock, an item, a permit) and throws it.
//
// An operation is a move-only value used once. Destroying one that was started but never
// finished (its task was destroyed) withdraws it: a pending wait leaves its line, and
// anything already granted is passed on, so nothing is lost.
#pragma once

#include <concepts>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>

namespace corolla {

template <class Op>
concept operation = std::is_object_v<Op> && std::move_constructible<Op> &&
    requires(Op& op, event_loop& loop, std::exception_ptr e) {
    typename Op::result_type;
    { op.start(loop) } -> std::same_as<detail::future_base*>;
    { op.finish(e) } -> std::same_as<typename Op::result_type>;
};

/// An empty base for operations declared outside namespace corolla: it makes corolla's
/// `operator co_await` (adapters/coro) visible to argument-dependent lookup, so
/// `co_await net::sock_recv(...)` works without a using-directive.
struct operation_base {};

namespace detail {

/// The future of a started operation (as_future). Cancelling it cancels the wait; when
/// the wait was already granted, the grant is given back through finish().
template <class Op>
class operation_future final : public future_state<typename Op::result_type> {
public:
    using R = typename Op::result_type;
    operation_future(event_loop& loop, Op op) : future_state<R>(loop), op_(std::move(op)) {}

    void start(const intrusive_ptr<operation_future>& self) {
        inner_ = op_.start(this->loop());
        if (!inner_) {
            complete(nullptr);
            return;
        }
        inner_->add_done_callback([self](future_base&) {
            self->complete(self->cancel_pending_ ? std::make_exception_ptr(cancelled_error(self->message_)) : nullptr);
        });
    }

    bool cancel(std::string message) override {
        if (this->done()) return false;
        if (inner_ && !inner_->done() && inner_->cancel(message)) return true;
        // Granted already; finish() gives the grant back and completes us as cancelled.
        cancel_pending_ = true;
        message_ = std::move(message);
        return true;
    }

private:
    void complete(std::exception_ptr injected) {
        if (this->done()) return;
        try {
            if constexpr (std::is_void_v<R>) {
                op_.finish(std::move(injected));
                this->set_result();
            } else {
                this->set_result(op_.finish(std::move(injected)));
            }
        } catch (const cancelled_error& e) {
            this->cancel_now(e.message());
        } catch (...) {
            this->set_exception(std::current_exception());
        }
    }

    Op op_;
    future_base* inner_ = nullptr;
    bool cancel_pending_ = false;
    std::string message_;
};

/// The loop of the running task, else the running loop, else invalid_state_error.
event_loop& current_loop(const char* what);

/// For finish(): `injected` (if any) is delivered at the running task's next suspension
/// point instead of now, because the operation completed with something it cannot give
/// back (bytes received, a connection accepted). Outside a task (as_future) it is dropped:
/// the operation's future is then completed as cancelled by its caller's request anyway.
void defer_cancel(const std::exception_ptr& injected) noexcept;
/// For finish(): the awaited future accepted a cancellation (cancel() returned true) but
/// completed with a result anyway (the kernel finished the operation first). The result
/// is returned and the cancellation is delivered at the next suspension point.
void defer_cancel(const std::string& message);

}  // namespace detail

/// Starts `op` on `loop` now and returns its outcome as a future.
template <class Op>
requires operation<std::remove_cvref_t<Op>> &&
    (!std::is_lvalue_reference_v<Op>)future<typename std::remove_cvref_t<Op>::result_type> as_future(event_loop& loop,
                                                                                                     Op&& op) {
    using O = std::remove_cvref_t<Op>;
    detail::intrusive_ptr<detail::operation_future<O>> s(new detail::operation_future<O>(loop, std::move(op)));
    s->start(s);
    return future<typename O::result_type>(std::move(s));
}
/// as_future on the loop of the running task (or the running loop).
template <class Op>
requires operation<std::remove_cvref_t<Op>> &&(!std::is_lvalue_reference_v<Op>)auto as_future(Op&& op) {
    return as_future(detail::current_loop("as_future"), std::move(op));
}

}  // namespace corolla
