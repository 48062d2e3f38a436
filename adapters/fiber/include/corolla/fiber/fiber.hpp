// Stackful tasks: spawn_fiber runs a plain function on a Boost.Context fiber as a
// task<R> — the same task type, names, cancellation and combinators as a coroutine task.
// Inside a fiber, corolla::await(x) suspends the fiber (not the thread) until x is done:
//
//     auto t = corolla::spawn_fiber(loop, [&](int n) {
//         corolla::await(corolla::sleep(1s));       // any future, task, sleep or coro<T>
//         int v = corolla::await(other_task);       // a coroutine task or a fiber task
//         return v + n;
//     }, 41);
//
// Cancellation is delivered exactly as to a coroutine: cancelled_error is thrown out of
// the await the fiber is blocked in, and the fiber may catch it and go on. A fiber may
// also await inside a catch block (each fiber keeps its own exception-handling state).
// Awaiting outside a fiber is an invalid_state_error, never a blocked thread.
#pragma once

#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/task.hpp>
#include <corolla/core/task_launcher.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/fiber/detail/bridge.hpp>
#include <corolla/fiber/detail/fiber_context.hpp>

namespace corolla {

/// How a fiber is spawned.
struct fiber_options {
    /// The task's name; empty: "Task-N".
    std::string name{};
    /// Usable stack bytes (rounded up to pages); 0: default_fiber_stack_size().
    std::size_t stack_size = 0;
};

/// The usable stack bytes of a fiber that names no size: what set_default_fiber_stack_size
/// chose, else 128 KiB (512 KiB in sanitizer builds), rounded up to pages.
std::size_t default_fiber_stack_size() noexcept;
/// Sets the stack size of fibers (and stackful generators) that name none, for the whole
/// process from now on (0: back to the built-in default). Thread-safe.
void set_default_fiber_stack_size(std::size_t bytes) noexcept;

namespace detail {

template <class F, class... A>
using fiber_result_t = std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>;

/// A callable and its arguments, invoked once with the arguments as rvalues (like
/// std::thread: pass std::ref to share an object).
template <class F, class... A>
struct fiber_call {
    std::decay_t<F> fn;
    std::tuple<std::decay_t<A>...> args;
    decltype(auto) operator()() { return std::apply(std::move(fn), std::move(args)); }
    std::string describe() const {
        const void* address = nullptr;
        if constexpr (std::is_pointer_v<std::decay_t<F>> && std::is_function_v<std::remove_pointer_t<std::decay_t<F>>>)
            address = reinterpret_cast<const void*>(fn);
        return describe_callable(address, typeid(std::decay_t<F>));
    }
};

template <class T, class Call>
class fiber_task final : public task_state<T> {
public:
    fiber_task(event_loop& loop, std::string&& name, std::size_t stack_size, Call&& call)
        : task_state<T>(loop, std::move(name)),
          call_(std::move(call)),
          ctx_(this, stack_size, &fiber_task::entry, this) {
        this->direct_steps_ = true;
    }
    ~fiber_task() override { fiber_task::destroy_code(); }

protected:
    bool resume_code() override { return ctx_.resume(); }
    bool run_direct_step() noexcept override { return ctx_.run_direct_step(); }
    void destroy_code() noexcept override {
        ctx_.unwind();
        call_.reset();
    }
    std::string describe_code() const override {
        std::string s = "fiber=<";
        s += call_ ? call_->describe() : std::string("finished");
        return s + ">";
    }

private:
    static void entry(void* arg) noexcept {
        auto* self = static_cast<fiber_task*>(arg);
        try {
            if constexpr (std::is_void_v<T>) {
                (*self->call_)();
                self->call_.reset();  // captures die on the fiber, before the task completes
                if (!self->finish_if_cancel_pending()) self->set_result();
            } else {
                T value = (*self->call_)();
                self->call_.reset();
                if (!self->finish_if_cancel_pending()) self->set_result(std::move(value));
            }
        } catch (const fiber_unwind&) {
            // The task is being destroyed unfinished; its future stays pending.
        } catch (const cancelled_error& e) {
            self->finish_cancelled(e.message());
        } catch (...) {
            self->set_exception(std::current_exception());
        }
    }

    std::optional<Call> call_;
    fiber_context ctx_;
};

/// require_fiber's errors (and fiber_unwind for a fiber being unwound).
[[noreturn]] void fiber_required(const char* what);
/// The fiber running the current task, or an invalid_state_error naming `what`.
inline fiber_context& require_fiber(const char* what) {
    fiber_context* fc = fiber_context::current();
    if (fc && !fc->unwinding() && fc->owner() && fc->owner() == current_task_core()) [[likely]]
        return *fc;
    fiber_required(what);
}

template <class T>
T await_future(const future<T>& f) {
    if (!f.done()) {
        fiber_context& fc = require_fiber("corolla::await");
        fc.owner()->suspend_on(*f.state());
        fc.suspend();
    }
    rethrow_injected();
    return deliver(f);
}

/// A coroutine type (a coroutine function returns it): spawn_fiber and the fiber forms of
/// run, timeout and with_task_group take plain code, never one of these.
template <class R>
concept coroutine_type = requires {
    typename R::promise_type;
};

/// Runs a bridge coroutine inside the calling fiber until it finishes: each time it
/// suspends through the task (awaiting a future, yielding), the fiber suspends, and once
/// the task is woken the fiber resumes the innermost suspended coroutine.
template <class T>
T drive_bridge(bridge<T> b, const char* what) {
    fiber_context& fc = require_fiber(what);
    task_core& t = *fc.owner();
    std::coroutine_handle<> next = b.handle();
    for (;;) {
        t.set_resume_point(nullptr);
        next.resume();
        if (b.handle().done()) break;
        void* leaf = t.resume_point();
        if (!leaf) throw invalid_state_error(std::string(what) + ": it suspended outside the task machinery");
        fc.suspend();
        next = std::coroutine_handle<>::from_address(leaf);
    }
    return b.take();
}

template <class F, class... A>
auto start_fiber(event_loop& loop, fiber_options opts, F&& fn, A&&... args) {
    using R = fiber_result_t<F, A...>;
    static_assert(!coroutine_type<R>, "spawn_fiber: this callable returns a coroutine; use create_task for coroutines");
    using call = fiber_call<F, A...>;
    if (loop.is_closed()) throw loop_closed_error("spawn_fiber on a closed event loop");
    intrusive_ptr<task_state<R>> s(new fiber_task<R, call>(loop, std::move(opts.name), opts.stack_size,
                                                           call{std::forward<F>(fn), {std::forward<A>(args)...}}));
    s->start();
    return task<R>(std::move(s));
}

event_loop& running_loop(const char* what);

}  // namespace detail

/// Runs fn(args...) as a task on a new fiber of `loop`. The arguments are copied or moved
/// into the task (std::ref shares an object). The loop keeps the task alive until it ends.
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
auto spawn_fiber(event_loop& loop, fiber_options options, F&& fn, A&&... args) {
    return detail::start_fiber(loop, std::move(options), std::forward<F>(fn), std::forward<A>(args)...);
}
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
auto spawn_fiber(event_loop& loop, F&& fn, A&&... args) {
    return detail::start_fiber(loop, {}, std::forward<F>(fn), std::forward<A>(args)...);
}
/// spawn_fiber on the running loop; invalid_state_error when none runs on this thread.
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
auto spawn_fiber(fiber_options options, F&& fn, A&&... args) {
    return detail::start_fiber(detail::running_loop("spawn_fiber"), std::move(options), std::forward<F>(fn),
                               std::forward<A>(args)...);
}
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
auto spawn_fiber(F&& fn, A&&... args) {
    return detail::start_fiber(detail::running_loop("spawn_fiber"), {}, std::forward<F>(fn), std::forward<A>(args)...);
}

/// Fiber code to hand to something that creates tasks (task_group::create_task):
/// `tg.create_task(corolla::as_fiber(worker, std::ref(log), 3))`.
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...> detail::fiber_call<F, A...> as_fiber(F&& fn, A&&... args) {
    return {std::forward<F>(fn), {std::forward<A>(args)...}};
}
/// create_task for fiber code (found by argument-dependent lookup, as for coro<T>).
template <class F, class... A>
auto create_task(event_loop& loop, detail::fiber_call<F, A...> code, std::string name = {}) {
    return detail::start_fiber(loop, fiber_options{std::move(name)}, std::move(code));
}

/// Plain code for style-free launchers (core/task_launcher.hpp): a call returning
/// anything but a coroutine runs on a fiber of its own.
template <class R>
requires(!detail::coroutine_type<R>) struct task_launcher<R> {
    template <class Fn, class... A>
    static auto launch(event_loop& loop, Fn& fn, A&&... args) {
        return spawn_fiber(loop, fn, std::forward<A>(args)...);
    }
};

/// Suspends the calling fiber until `f` is done and returns its value (or throws its
/// exception, or cancelled_error). A done future returns at once, inside a fiber or not.
template <class T>
T await(const future<T>& f) {
    return detail::await_future(f);
}
template <class T>
T await(const task<T>& t) {
    return detail::await_future(static_cast<const future<T>&>(t));
}
/// await(sleep(0s)) yields for exactly one loop iteration, like a coroutine's co_await.
void await(const sleep_future& s);

/// Runs a coroutine object (a `coro<T>`, or any coroutine type) inside the calling fiber,
/// as `co_await c` would inside a coroutine task: its co_awaits suspend this fiber.
/// Returns the coroutine's value.
template <class C>
requires detail::coroutine_type<std::remove_cvref_t<C>> && detail::co_awaitable<std::remove_cvref_t<C>> &&
    (!std::is_lvalue_reference_v<C>)decltype(auto) await(C&& c) {
    return detail::drive_bridge(detail::bridge_await(std::remove_cvref_t<C>(std::move(c))), "corolla::await of a coro");
}

/// Waits for an operation of the sync, queue or net modules (lock.acquire(), q.get(),
/// ...) and returns its value; see core/operation.hpp. One that can complete at once
/// does so without suspending.
template <class Op>
requires operation<std::remove_cvref_t<Op>> &&
    (!std::is_lvalue_reference_v<Op>)typename std::remove_cvref_t<Op>::result_type await(Op&& op) {
    std::remove_cvref_t<Op> o(std::move(op));
    detail::task_core* t = detail::current_task_core();
    if (!t) throw invalid_state_error("corolla::await of an operation outside of a task");
    if (detail::future_base* f = o.start(t->as_future().loop())) {
        detail::fiber_context& fc = detail::require_fiber("corolla::await");
        fc.owner()->suspend_on(*f);
        fc.suspend();
    }
    return o.finish(t->take_injected());
}

/// Any other awaiter a coroutine can co_await (an async generator's next(), ...): it is
/// awaited through a coroutine run inside this fiber.
template <class A>
requires detail::awaiter_object<std::remove_cvref_t<A>>
decltype(auto) await(A&& a) {
    return detail::drive_bridge(detail::bridge_await(std::remove_cvref_t<A>(std::forward<A>(a))), "corolla::await");
}

namespace detail {

inline void fiber_context::yield() {
#if defined(COROLLA_FIBER_INLINE_YIELD)
    // The switch inlined into the caller: after it, the caller's code goes on with no
    // function of ours to return from.
    if (unwinding_) throw fiber_unwind{};
    task_core* const t = owner_;
    task_core* const next = direct_step::yield(*t, direct_step_);
    direct_step::offer(*t, this);
    fiber_context* const to = next ? static_cast<fiber_context*>(direct_step::take(*next)) : nullptr;
    leave_inline(to);
    rethrow_injected();
#else
    yield_out_of_line();
#endif
}

}  // namespace detail

namespace this_fiber {

/// True when the calling code runs on a fiber.
inline bool inside() noexcept { return detail::fiber_context::current() != nullptr; }
/// Gives up the rest of this loop iteration (sleep(0)).
inline void yield() { detail::require_fiber("this_fiber::yield").yield(); }
/// Suspends the fiber for `delay` on its loop.
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> delay) {
    // A non-positive delay is a yield (as await(sleep(0s)) is); inside a task's fiber it
    // needs no sleep future. Elsewhere sleep() reports what is missing.
    if (std::chrono::ceil<duration>(std::chrono::duration<long double, Period>(delay)) <= duration::zero()) {
        detail::fiber_context* fc = detail::fiber_context::current();
        if (fc && !fc->unwinding() && fc->owner() && fc->owner() == detail::current_task_core()) {
            fc->yield();
            return;
        }
    }
    corolla::await(corolla::sleep(delay));
}

}  // namespace this_fiber

}  // namespace corolla
