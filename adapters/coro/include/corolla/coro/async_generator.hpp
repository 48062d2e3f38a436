// async_generator<T>: Python's async generators for coroutines running in a task. The
// body may co_await futures, tasks, sleep and coroutines, and co_yield items; the
// consumer writes `while (auto item = co_await gen.next())`. The body runs inside the
// consuming task, so it suspends through the same task machinery as a plain coro<T>:
// cancelling the consumer delivers cancelled_error inside the body at its await.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <corolla/core/errors.hpp>
#include <corolla/core/detail/small_pool.hpp>
#include <corolla/coro/generator.hpp>

namespace corolla {

template <class T>
class async_generator;

namespace detail {

template <class T>
class async_gen_promise : public pooled {
public:
    async_generator<T> get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }

    // Yield and finish hand control back to the consumer: to its await_suspend when it
    // is still on the stack (the body got there without suspending), else by
    // transferring to the consumer coroutine.
    std::coroutine_handle<> hand_off() noexcept {
        handed_off_ = true;
        if (inline_) return std::noop_coroutine();
        auto c = std::exchange(consumer_, nullptr);
        return c ? c : std::noop_coroutine();
    }
    struct handoff {
        async_gen_promise& p;
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<>) const noexcept { return p.hand_off(); }
        void await_resume() const { p.rethrow_injected(); }
    };
    struct final_handoff {
        async_gen_promise& p;
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<>) const noexcept { return p.hand_off(); }
        void await_resume() const noexcept {}
    };
    final_handoff final_suspend() noexcept { return {*this}; }
    handoff yield_value(T&& v) {
        value_.emplace(std::move(v));
        return {*this};
    }
    handoff yield_value(const T& v) {
        value_.emplace(v);
        return {*this};
    }
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
    void return_void() noexcept {}

    void rethrow_injected() {
        if (injected_) std::rethrow_exception(std::exchange(injected_, nullptr));
    }

    std::coroutine_handle<> consumer_{};
    std::optional<T> value_;
    std::exception_ptr exception_;
    std::exception_ptr injected_;
    bool started_ = false;
    bool running_ = false;     // from a next / athrow / aclose until its result is taken
    bool inline_ = false;      // resumed from the consumer's await_suspend, still on its stack
    bool handed_off_ = false;  // yielded or finished during this resume
};

}  // namespace detail

/// An async generator (Python's `async def` with `yield`), stackless. Lazy: the body
/// starts at the first next().
///
/// - `co_await next()`: the next item, or an empty optional once the body has finished
///   (StopAsyncIteration). An exception escaping the body propagates from that next(),
///   once; the generator is then closed.
/// - `co_await athrow(e)`: raises e at the body's yield point; the next item, or empty.
/// - `co_await aclose()`: raises generator_exit at the yield point; the body may await
///   during its cleanup. A body that yields instead is refused (invalid_state_error).
/// - A second next() while one is in progress (e.g. from another task while the body
///   awaits) throws invalid_state_error, as Python's "already running".
/// - Destroying a suspended generator (created, or at a yield) destroys its frame: its
///   locals' destructors run, nothing in it runs again. It must not be destroyed while
///   one of its next() calls is in progress — that only happens when the consuming
///   task's own frame goes, and then the task never resumes either.
///
/// The body's awaits suspend the consuming task; awaiting outside a task is the usual
/// invalid_state_error. Not thread-safe.
template <class T>
class [[nodiscard]] async_generator {
    static_assert(std::is_object_v<T> && !std::is_const_v<T>, "T must be a non-const object type");

public:
    using promise_type = detail::async_gen_promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    async_generator() noexcept = default;
    async_generator(async_generator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    async_generator& operator=(async_generator&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~async_generator() { reset(); }

    generator_state state() const noexcept {
        if (!h_ || h_.done()) return generator_state::closed;
        const promise_type& p = h_.promise();
        if (p.running_) return generator_state::running;
        return p.started_ ? generator_state::suspended : generator_state::created;
    }

private:
    enum class mode { next, throw_in, close };

public:
    /// The awaitable returned by next(), athrow() and aclose(); await it at once.
    class [[nodiscard]] step_awaiter {
    public:
        bool await_ready() {
            if (!g_->h_ || g_->h_.done()) return true;
            promise_type& p = g_->h_.promise();
            if (p.running_) throw invalid_state_error("async_generator already running: a next() is in progress");
            if (!p.started_ && m_ != mode::next) {
                g_->reset();  // never started: closing (or throwing into) it just discards it
                return true;
            }
            return false;
        }
        bool await_suspend(std::coroutine_handle<> consumer) {
            promise_type& p = g_->h_.promise();
            p.consumer_ = consumer;
            p.running_ = true;
            p.started_ = true;
            p.handed_off_ = false;
            p.injected_ = std::move(inject_);
            p.value_.reset();
            p.inline_ = true;
            g_->h_.resume();
            p.inline_ = false;
            if (!p.handed_off_) return true;  // the body awaits: it resumes us when it yields
            p.consumer_ = nullptr;
            return false;
        }
        std::optional<T> await_resume() {
            if (!g_->h_) {  // closed before, or discarded by await_ready
                if (inject_ && m_ == mode::throw_in) std::rethrow_exception(inject_);
                return std::nullopt;
            }
            promise_type& p = g_->h_.promise();
            p.running_ = false;
            if (!p.handed_off_) {  // closed already when awaited
                if (inject_ && m_ == mode::throw_in) std::rethrow_exception(inject_);
                return std::nullopt;
            }
            p.handed_off_ = false;
            if (!g_->h_.done()) {
                if (m_ == mode::close) {
                    g_->reset();
                    throw invalid_state_error("async_generator ignored generator_exit: it yielded during aclose()");
                }
                return std::optional<T>(std::move(*p.value_));
            }
            if (std::exception_ptr e = std::exchange(p.exception_, nullptr)) {
                if (m_ != mode::close) std::rethrow_exception(e);
                try {
                    std::rethrow_exception(e);
                } catch (const generator_exit&) {
                }
            }
            return std::nullopt;
        }

    private:
        friend class async_generator;
        step_awaiter(async_generator* g, mode m, std::exception_ptr inject) noexcept
            : g_(g), m_(m), inject_(std::move(inject)) {}
        async_generator* g_;
        mode m_;
        std::exception_ptr inject_;
    };

    /// `co_await gen.next()`: Python's `await anext(gen)`, with the end as an empty optional.
    step_awaiter next() noexcept { return step_awaiter(this, mode::next, nullptr); }
    /// `co_await gen.athrow(e)`: Python's agen.athrow(e). On a created or closed generator
    /// e is rethrown at once (and a created one is discarded).
    step_awaiter athrow(std::exception_ptr e) {
        if (!e) throw std::invalid_argument("async_generator::athrow: empty exception_ptr");
        return step_awaiter(this, mode::throw_in, std::move(e));
    }
    template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>) step_awaiter athrow(E&& e) {
        return athrow(std::make_exception_ptr(std::forward<E>(e)));
    }
    /// `co_await gen.aclose()`: Python's agen.aclose(). Yields no item (the optional is
    /// always empty); rethrows any exception other than generator_exit that escapes.
    step_awaiter aclose() { return step_awaiter(this, mode::close, std::make_exception_ptr(generator_exit{})); }

private:
    friend class detail::async_gen_promise<T>;
    explicit async_generator(handle_type h) noexcept : h_(h) {}
    void reset() noexcept {
        if (h_) std::exchange(h_, {}).destroy();
    }
    handle_type h_{};
};

namespace detail {
template <class T>
async_generator<T> async_gen_promise<T>::get_return_object() noexcept {
    return async_generator<T>(std::coroutine_handle<async_gen_promise>::from_promise(*this));
}
}  // namespace detail

}  // namespace corolla
