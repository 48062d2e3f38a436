// co_await on futures and tasks (of either style) from a coroutine running in a task.
// The task suspends until the future is done; a cancellation requested meanwhile is
// thrown here as cancelled_error. Awaiting outside any task is an invalid_state_error.
#pragma once

#include <coroutine>
#include <type_traits>
#include <utility>

#include <corolla/core/errors.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/task.hpp>

namespace corolla {

namespace detail {

template <class T>
struct future_awaiter {
    future<T> f;
    bool await_ready() const noexcept { return f.done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_core& t = require_task("co_await of a future");
        t.set_resume_point(h.address());
        t.suspend_on(*f.state());
    }
    T await_resume() {
        rethrow_injected();
        return deliver(f);
    }
};

struct yield_awaiter {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        task_core& t = require_task("co_await of sleep(0)");
        t.set_resume_point(h.address());
        t.suspend_yield();
    }
    void await_resume() { rethrow_injected(); }
};

/// co_await of an operation (lock.acquire(), q.get(), ...): see core/operation.hpp.
template <class Op>
struct operation_awaiter {
    Op op;
    task_core* t = nullptr;  ///< looked up once: the same task resumes this frame
    future_base* f = nullptr;
    bool await_ready() {
        t = &require_task("co_await of an operation");
        f = op.start(t->as_future().loop());
        return f == nullptr;
    }
    void await_suspend(std::coroutine_handle<> h) {
        t->set_resume_point(h.address());
        t->suspend_on(*f);
    }
    typename Op::result_type await_resume() { return op.finish(f ? t->take_injected() : nullptr); }
};

}  // namespace detail

/// `co_await lock.acquire()`, `co_await q.get()`: operations of the sync, queue and net
/// modules (rvalues: an operation is used once).
template <class Op>
requires operation<std::remove_cvref_t<Op>> &&
    (!std::is_lvalue_reference_v<Op>)detail::operation_awaiter<std::remove_cvref_t<Op>>
    operator co_await(Op&& op) {
    return {std::move(op)};
}

template <class T>
detail::future_awaiter<T> operator co_await(const future<T>& f) {
    return detail::future_awaiter<T>{f};
}
template <class T>
detail::future_awaiter<T> operator co_await(const task<T>& t) {
    return detail::future_awaiter<T>{t};
}

/// `co_await sleep(0s)` yields for exactly one loop iteration, like asyncio.sleep(0).
/// The awaiter refers to the sleep future, which outlives it (a temporary lasts until
/// the end of the co_await expression), so a suspended frame holds one copy of it.
inline auto operator co_await(const sleep_future& s) {
    struct awaiter {
        const sleep_future* s;
        bool await_ready() const noexcept { return !s->is_yield() && s->done(); }
        void await_suspend(std::coroutine_handle<> h) {
            if (s->is_yield())
                detail::yield_awaiter{}.await_suspend(h);
            else
                detail::future_awaiter<void>{*s}.await_suspend(h);
        }
        void await_resume() const {
            detail::rethrow_injected();
            if (!s->is_yield()) s->result();
        }
    };
    return awaiter{&s};
}

}  // namespace corolla
