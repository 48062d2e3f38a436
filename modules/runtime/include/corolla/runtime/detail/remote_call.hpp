// The machinery of one call between two loops of a runtime (submit_to). The caller's
// future and the target's inner future each stay on their own loop's thread; only a
// shared remote_call (atomic reference counts) and messages sent with
// call_soon_threadsafe cross between threads.
#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <corolla/core/detail/loop_access.hpp>
#include <corolla/core/detail/loop_anchor.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>

namespace corolla::detail {

/// How the remote side ended, carried to the caller's loop.
template <class R>
struct remote_outcome {
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value{};
    std::exception_ptr error;
    bool cancelled = true;  ///< the default: nothing ran, or the remote side gave up
    std::string message;
};

template <class R>
class remote_future_state;

/// Shared by the caller's future, the messages and the remote side.
template <class R>
struct remote_call {
    std::shared_ptr<loop_anchor> caller_anchor;
    std::shared_ptr<loop_anchor> target_anchor;
    /// The caller's future: used on the caller's thread only, held by the caller loop
    /// (loop_access::hold_for_job) until the report arrives or that loop is destroyed.
    remote_future_state<R>* caller = nullptr;
    // --- target thread only ---
    /// The inner future while pending, held by the target loop the same way.
    future_base* inner = nullptr;
    bool cancel_requested = false;
    std::string cancel_message;
};

/// Calls `post` with the anchor's loop, under the anchor's lock, unless that loop is gone
/// or closed. False when nothing was posted.
template <class Post>
bool post_to(loop_anchor& anchor, Post&& post) noexcept {
    try {
        std::lock_guard lock(anchor.mutex);
        if (!anchor.loop) return false;
        post(*anchor.loop);
        return true;
    } catch (...) {  // loop_closed_error (or no memory for the message): not posted
        return false;
    }
}

/// The caller's future: cancel() asks the remote side to cancel; the future ends cancelled
/// once the remote side has ended (so nothing of the caller's is used after it resumes),
/// whatever that side's outcome (asyncio's wrapped concurrent future drops it too).
template <class R>
class remote_future_state final : public future_state<R> {
public:
    remote_future_state(event_loop& loop, std::shared_ptr<remote_call<R>> call)
        : future_state<R>(loop), call_(std::move(call)) {}

    bool cancel(std::string message) override {
        if (this->done()) return false;
        if (!cancel_sent_) {
            cancel_sent_ = true;
            cancel_message_ = message;
            // Not posted when the target loop is gone: its report is then on its way.
            post_to(*call_->target_anchor, [&](event_loop& target) {
                target.call_soon_threadsafe([call = call_, message = std::move(message)]() mutable {
                    call->cancel_requested = true;
                    call->cancel_message = message;
                    if (call->inner) call->inner->cancel(std::move(message));
                });
            });
        }
        return true;
    }

    /// On the caller's thread, when the report arrives.
    void complete(remote_outcome<R>&& o) {
        if (this->done()) return;  // completed by hand meanwhile
        if (cancel_sent_)          // honoured even when the remote side finished first
            this->cancel_now(std::move(cancel_message_));
        else if (o.cancelled)
            this->cancel_now(std::move(o.message));
        else if (o.error)
            this->set_exception(o.error);
        else if constexpr (std::is_void_v<R>)
            this->set_result();
        else
            this->set_result(std::move(*o.value));
    }

private:
    std::shared_ptr<remote_call<R>> call_;
    std::string cancel_message_;
    bool cancel_sent_ = false;
};

/// The remote side's duty to report to the caller exactly once: send() reports an
/// outcome; destroyed unsent (a message dropped by a closing loop, an inner future
/// destroyed pending), it reports a cancellation.
template <class R>
class report_duty {
public:
    report_duty() = default;
    explicit report_duty(std::shared_ptr<remote_call<R>> call) noexcept : call_(std::move(call)) {}
    report_duty(report_duty&&) noexcept = default;
    report_duty& operator=(report_duty&& o) noexcept {
        if (this != &o) {
            send({});
            call_ = std::move(o.call_);
        }
        return *this;
    }
    ~report_duty() { send({}); }

    void send(remote_outcome<R> o) noexcept {
        if (!call_) return;
        std::shared_ptr<remote_call<R>> call = std::move(call_);
        loop_anchor& anchor = *call->caller_anchor;
        post_to(anchor, [&](event_loop& caller) {
            caller.call_soon_threadsafe([call, o = std::move(o)]() mutable {
                remote_future_state<R>* f = call->caller;
                event_loop& loop = f->loop();
                intrusive_ptr<future_base> keep(f);
                if (!loop_access::drop_job(loop, f)) return;
                f->complete(std::move(o));
            });
        });
        // Not posted: the caller's loop is closed or gone, and lets go of its future.
    }

private:
    std::shared_ptr<remote_call<R>> call_;
};

/// The outcome of a done future on the target loop.
template <class R, class X>
remote_outcome<R> outcome_of(const future<X>& f) {
    remote_outcome<R> o;
    if (f.cancelled()) {
        o.message = f.state()->cancel_message();
        return o;
    }
    o.cancelled = false;
    if ((o.error = f.exception())) return o;
    if constexpr (std::is_void_v<R>)
        f.result();
    else
        o.value.emplace(deliver(f));
    return o;
}

/// Whether X is a future<V> or a task<V> (anything deriving from future<V>).
template <class X, class = void>
struct is_future_like : std::false_type {};
template <class X>
struct is_future_like<X, std::void_t<typename X::value_type>> : std::is_base_of<future<typename X::value_type>, X> {};

/// submit_to's result type for fn's return type X.
template <class X, bool = is_future_like<X>::value>
struct remote_result {
    using type = X;
};
template <class X>
struct remote_result<X, true> {
    using type = typename X::value_type;
};

/// What the message to the target loop carries. Shared with the sender until the message
/// is queued, so that a message refused by a closing loop is destroyed (and reports) after
/// the sender lets go of the target's lock, never under it.
template <class R, class F>
struct remote_start {
    report_duty<R> duty;
    std::optional<F> fn;
    std::shared_ptr<remote_call<R>> call;

    /// On the target's thread. `refuse`: the runtime is shutting down.
    void run(event_loop& target, bool refuse) {
        report_duty<R> d = std::move(duty);
        auto f = std::move(*fn);
        fn.reset();
        if (refuse || call->cancel_requested) {
            remote_outcome<R> o;
            o.message = call->cancel_message;
            d.send(std::move(o));
            return;
        }
        using X = std::invoke_result_t<F&>;
        try {
            if constexpr (is_future_like<X>::value) {
                future<R> inner = f();
                future_base* s = inner.state();
                if (&s->loop() != &target)
                    throw invalid_state_error("submit_to: the function returned a future of another loop");
                loop_access::hold_for_job(target, s);
                call->inner = s;
                inner.add_done_callback([call = call, d = std::move(d)](future<R> done) mutable {
                    call->inner = nullptr;
                    loop_access::drop_job(done.get_loop(), done.state());
                    d.send(outcome_of<R>(done));
                });
            } else {
                remote_outcome<R> o;
                o.cancelled = false;
                if constexpr (std::is_void_v<R>)
                    f();
                else
                    o.value.emplace(f());
                d.send(std::move(o));
            }
        } catch (...) {
            remote_outcome<R> o;
            o.cancelled = false;
            o.error = std::current_exception();
            d.send(std::move(o));
        }
    }
};

}  // namespace corolla::detail
