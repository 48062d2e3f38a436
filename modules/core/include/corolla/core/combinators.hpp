// Combinators over futures and tasks of either style (asyncio.gather / shield / wait_for).
// Each returns a future whose cancel() is intercepted the way asyncio's composite futures
// do it, so the same objects serve both execution styles (co_await and await).
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/operation.hpp>

namespace corolla {

/// A value or the exception that replaced it (gather with return_exceptions).
template <class T>
class outcome {
public:
    using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
    outcome() = default;
    explicit outcome(value_type v) : v_(std::move(v)) {}
    explicit outcome(std::exception_ptr e) : v_(std::move(e)) {}
    bool has_value() const noexcept { return v_.index() == 0; }
    /// The value, or rethrows the exception (cancelled_error for a cancelled child).
    value_type& value() {
        if (auto* e = std::get_if<std::exception_ptr>(&v_)) std::rethrow_exception(*e);
        return std::get<value_type>(v_);
    }
    std::exception_ptr error() const noexcept {
        auto* e = std::get_if<std::exception_ptr>(&v_);
        return e ? *e : nullptr;
    }

private:
    std::variant<value_type, std::exception_ptr> v_;
};

/// Tag: gather(return_exceptions, ...) collects exceptions as outcomes instead of failing.
struct return_exceptions_t {
    explicit return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};

namespace detail {

template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
gather_value_t<T> take_value(const future<T>& f) {
    if constexpr (std::is_void_v<T>) {
        f.result();
        return {};
    } else {
        return f.result();
    }
}

template <class T>
outcome<T> take_outcome(const future<T>& f) {
    if (f.cancelled()) return outcome<T>(std::make_exception_ptr(cancelled_error(f.state()->cancel_message())));
    if (auto e = f.exception()) return outcome<T>(e);
    return outcome<T>(take_value(f));
}

/// The exception a done child stands for (cancelled children: cancelled_error).
std::exception_ptr child_error(future_base& child);

/// asyncio's _GatheringFuture: completes when every child is done (or at the first
/// failure without return_exceptions); cancel() cancels the children and finishes once
/// they do. `collect` builds the result from the (all done) children.
template <class R>
class gathering_state final : public future_state<R> {
public:
    gathering_state(event_loop& loop, std::vector<intrusive_ptr<future_base>> children, bool return_exceptions,
                    unique_function<R()> collect)
        : future_state<R>(loop),
          children_(std::move(children)),
          collect_(std::move(collect)),
          return_exceptions_(return_exceptions) {}

    void arm() {
        if (children_.empty()) {
            finish_all();
            return;
        }
        for (auto& c : children_)
            c->add_done_callback(
                [self = intrusive_ptr<future_base>(this), this](future_base& child) { on_child(child); });
    }

    bool cancel(std::string message) override {
        if (this->done()) return false;
        bool any = false;
        for (auto& c : children_)
            if (c->cancel(message)) any = true;
        if (any) {
            cancel_requested_ = true;
            message_ = std::move(message);
        }
        return any;  // all children already finished: refused, as asyncio does
    }

private:
    void on_child(future_base& child) {
        ++finished_;
        std::exception_ptr err = child_error(child);  // also marks the exception retrieved
        if (this->done()) return;
        if (!return_exceptions_ && err) {
            this->set_exception(err);
            return;
        }
        if (finished_ == children_.size()) finish_all();
    }
    void finish_all() {
        if (cancel_requested_) {
            this->set_exception(std::make_exception_ptr(cancelled_error(message_)));
            return;
        }
        try {
            this->set_result(collect_());
        } catch (...) {
            this->set_exception(std::current_exception());
        }
    }

    std::vector<intrusive_ptr<future_base>> children_;
    unique_function<R()> collect_;
    std::string message_;
    std::size_t finished_ = 0;
    bool return_exceptions_;
    bool cancel_requested_ = false;
};

template <class R>
future<R> make_gather(event_loop& loop, std::vector<intrusive_ptr<future_base>> children, bool return_exceptions,
                      unique_function<R()> collect) {
    intrusive_ptr<gathering_state<R>> s(
        new gathering_state<R>(loop, std::move(children), return_exceptions, std::move(collect)));
    s->arm();
    return future<R>(intrusive_ptr<future_state<R>>(std::move(s)));
}

template <class T>
intrusive_ptr<future_base> as_base(const future<T>& f) {
    if (!f.valid()) throw std::invalid_argument("gather: empty future");
    return intrusive_ptr<future_base>(f.state());
}

event_loop& loop_of(const std::vector<intrusive_ptr<future_base>>& children);

}  // namespace detail

/// Waits for all futures; the result is a tuple of their values (std::monostate for
/// void). The first exception (or cancelled child) fails the gather without cancelling
/// the others. Cancelling the gather cancels every child still running.
template <class... Ts>
future<std::tuple<detail::gather_value_t<Ts>...>> gather(const future<Ts>&... fs) {
    static_assert(sizeof...(Ts) > 0, "gather() of nothing: use the range overload");
    using R = std::tuple<detail::gather_value_t<Ts>...>;
    std::vector<detail::intrusive_ptr<detail::future_base>> children{detail::as_base(fs)...};
    event_loop& loop = detail::loop_of(children);
    return detail::make_gather<R>(loop, std::move(children), false, [=]() { return R(detail::take_value(fs)...); });
}

/// Like gather, but exceptions and cancellations become outcomes in the result.
template <class... Ts>
future<std::tuple<outcome<Ts>...>> gather(return_exceptions_t, const future<Ts>&... fs) {
    static_assert(sizeof...(Ts) > 0, "gather() of nothing: use the range overload");
    using R = std::tuple<outcome<Ts>...>;
    std::vector<detail::intrusive_ptr<detail::future_base>> children{detail::as_base(fs)...};
    event_loop& loop = detail::loop_of(children);
    return detail::make_gather<R>(loop, std::move(children), true, [=]() { return R(detail::take_outcome(fs)...); });
}

namespace detail {

/// The range gathers: `take` turns each (done) child into one element of the result.
template <class E, class T, class Take>
future<std::vector<E>> gather_range(event_loop& loop, std::vector<future<T>> fs, bool return_exceptions, Take take) {
    std::vector<intrusive_ptr<future_base>> children;
    for (const auto& f : fs)
        children.push_back(as_base(f));
    return make_gather<std::vector<E>>(loop, std::move(children), return_exceptions, [fs, take]() {
        std::vector<E> out;
        out.reserve(fs.size());
        for (const auto& f : fs)
            out.push_back(take(f));
        return out;
    });
}

}  // namespace detail

/// gather over a range of futures of one type; an empty range completes at once
/// (it needs `loop` for that).
template <class T>
future<std::vector<detail::gather_value_t<T>>> gather(event_loop& loop, std::vector<future<T>> fs) {
    return detail::gather_range<detail::gather_value_t<T>>(loop, std::move(fs), false,
                                                           [](const future<T>& f) { return detail::take_value(f); });
}

/// gather over a range, collecting exceptions and cancellations as outcomes.
template <class T>
future<std::vector<outcome<T>>> gather(event_loop& loop, std::vector<future<T>> fs, return_exceptions_t) {
    return detail::gather_range<outcome<T>>(loop, std::move(fs), true,
                                            [](const future<T>& f) { return detail::take_outcome(f); });
}

namespace detail {

/// shield's outer future: its cancellation never reaches the inner one.
template <class T>
class shield_state final : public future_state<T> {
public:
    explicit shield_state(future<T> inner) : future_state<T>(inner.get_loop()), inner_(std::move(inner)) {}
    void arm() {
        inner_.add_done_callback([self = intrusive_ptr<future_base>(this), this](future<T> in) {
            if (this->cancelled()) {
                // This shield's awaiter is gone. Whether anyone still takes the inner failure
                // (another shield, a task awaiting it) is known once every callback of this
                // completion has run: check then, and report what is still unclaimed, once
                // for the inner future however many shields abandoned it.
                if (!in.cancelled() && in.state()->has_exception())
                    this->loop().call_soon([in] {
                        if (auto e = in.state()->claim_unretrieved_exception())
                            in.get_loop().call_exception_handler(exception_context{
                                "Exception in shielded future after its outer future was cancelled", e, {}});
                    });
                return;
            }
            if (this->done()) return;
            transfer(in, *this, &shield_state::cancel_with);
        });
    }

private:
    static void cancel_with(future_state<T>& s, std::string message) {
        static_cast<shield_state&>(s).cancel_now(std::move(message));
    }
    future<T> inner_;
};

}  // namespace detail

/// Protects `inner` from cancellation: cancelling the returned future (or the task
/// awaiting it) leaves `inner` running. A failure of `inner` after the outer future was
/// cancelled is reported once through the exception handler.
template <class T>
future<T> shield(const future<T>& inner) {
    if (inner.done()) return inner;
    detail::intrusive_ptr<detail::shield_state<T>> s(new detail::shield_state<T>(inner));
    s->arm();
    return future<T>(detail::intrusive_ptr<detail::future_state<T>>(std::move(s)));
}

namespace detail {

/// wait_for's outer future (CPython 3.12+: `timeout()` around `await inner`). On timeout
/// it cancels the inner future and completes only once the inner one has finished
/// cancelling (timeout_error), or with the inner value when the inner work suppressed the
/// cancellation. A cancellation of the outer future (the awaiting task's) is forwarded to
/// the inner one, and the outer then ends as the inner does: cancelled when the inner
/// honours it, with the inner value or exception when the inner swallows it.
template <class T>
class wait_for_state final : public future_state<T> {
public:
    explicit wait_for_state(future<T> inner) : future_state<T>(inner.get_loop()), inner_(std::move(inner)) {}

    void arm(std::optional<time_point> deadline) {
        inner_.add_done_callback([self = intrusive_ptr<future_base>(this), this](future<T> in) { on_inner(in); });
        if (!deadline) {
            expire();
            return;
        }
        timer_ = this->loop().call_at(*deadline, [self = intrusive_ptr<future_base>(this), this] { expire(); });
    }

    bool cancel(std::string message) override {
        if (this->done()) return false;
        // The inner result is in but not handed over yet: the request wins, as it does for
        // a task whose awaited future is already done.
        if (inner_.done()) return this->cancel_now(std::move(message));
        outer_cancelled_ = true;
        message_ = message;
        timer_.cancel();
        // Every request reaches the inner work, as Task.cancel forwards each one.
        return inner_.cancel(std::move(message));
    }

private:
    void expire() {
        if (inner_.done() || this->done()) return;
        timed_out_ = true;
        inner_.cancel("wait_for: timed out");
    }
    void on_inner(future<T>& in) {
        timer_.cancel();
        if (this->done()) return;
        // A cancelled inner after an outside request is that request's cancellation, not a
        // timeout, even when the deadline had passed too (timeout(): the outside request
        // is still counted, so it is not the timeout's to convert).
        if (in.cancelled() && outer_cancelled_) {
            this->cancel_now(message_);
            return;
        }
        if (in.cancelled() && timed_out_)
            this->set_exception(std::make_exception_ptr(timeout_error("wait_for: timed out")));
        else
            transfer(in, *this, &wait_for_state::cancel_with);
    }
    static void cancel_with(future_state<T>& s, std::string message) {
        static_cast<wait_for_state&>(s).cancel_now(std::move(message));
    }

    future<T> inner_;
    timer_handle timer_;
    std::string message_;
    bool timed_out_ = false;
    bool outer_cancelled_ = false;
};

}  // namespace detail

/// Waits for `inner` at most `timeout` (asyncio.wait_for). See wait_for_state.
template <class T, class Rep, class Period>
future<T> wait_for(const future<T>& inner, std::chrono::duration<Rep, Period> timeout) {
    if (inner.done()) return inner;
    detail::intrusive_ptr<detail::wait_for_state<T>> s(new detail::wait_for_state<T>(inner));
    // A non-positive timeout times out at once (after the inner work finishes cancelling).
    if (timeout <= timeout.zero())
        s->arm(std::nullopt);
    else
        s->arm(inner.get_loop().deadline_after(timeout));
    return future<T>(detail::intrusive_ptr<detail::future_state<T>>(std::move(s)));
}
/// wait_for of an operation (`wait_for(q.get(), 1s)`): on timeout the operation is
/// withdrawn (a getter leaves its line, nothing is taken) before timeout_error.
template <class Op, class Rep, class Period>
requires operation<std::remove_cvref_t<Op>> &&
    (!std::is_lvalue_reference_v<Op>)auto wait_for(Op&& op, std::chrono::duration<Rep, Period> timeout) {
    return wait_for(as_future(std::move(op)), timeout);
}

}  // namespace corolla
