// How a fiber awaits what only a coroutine can co_await (a coroutine object, an async
// generator's next(), any type with operator co_await): a small coroutine of the fiber
// adapter's own co_awaits it, and the fiber runs that coroutine inline, suspending
// whenever it suspends through the task. Generic over awaitables, so the fiber adapter
// needs nothing of the coroutine adapter.
#pragma once

#include <concepts>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace corolla::detail {

/// A coroutine awaiter object (await_ready / await_suspend / await_resume).
template <class A>
concept awaiter_object = requires(A& a, std::coroutine_handle<> h) {
    { a.await_ready() } -> std::convertible_to<bool>;
    a.await_suspend(h);
    a.await_resume();
};

/// Something a coroutine can co_await: an awaiter, or a type with a member or free
/// operator co_await (taken as an rvalue, as a temporary would be).
template <class A>
concept co_awaitable = awaiter_object<A> || requires(A&& a) {
    std::move(a).operator co_await();
} || requires(A&& a) {
    operator co_await(std::move(a));
};

template <class A>
decltype(auto) get_awaiter(A&& a) {
    if constexpr (awaiter_object<std::remove_cvref_t<A>>)
        return std::forward<A>(a);
    else if constexpr (requires { std::move(a).operator co_await(); })
        return std::move(a).operator co_await();
    else
        return operator co_await(std::move(a));
}

/// What co_await of an `A` gives.
template <class A>
using await_result_t =
    decltype(std::declval<std::remove_cvref_t<decltype(get_awaiter(std::declval<A>()))>&>().await_resume());

template <class T>
struct bridge_result {
    std::optional<T> value;
    template <class U>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
    T take() { return std::move(*value); }
};
template <>
struct bridge_result<void> {
    void return_void() noexcept {}
    void take() noexcept {}
};

/// The fiber's coroutine: started and resumed by the fiber only, never by the loop.
template <class T>
class [[nodiscard]] bridge {
    static_assert(std::is_void_v<T> || std::is_object_v<T>, "awaiting from a fiber gives a value, not a reference");

public:
    struct promise_type : bridge_result<T> {
        std::exception_ptr error;
        bridge get_return_object() noexcept { return bridge(std::coroutine_handle<promise_type>::from_promise(*this)); }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void unhandled_exception() noexcept { error = std::current_exception(); }
    };
    using handle_type = std::coroutine_handle<promise_type>;

    explicit bridge(handle_type h) noexcept : h_(h) {}
    bridge(bridge&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    bridge& operator=(bridge&&) = delete;
    ~bridge() {
        if (h_) h_.destroy();
    }
    handle_type handle() const noexcept { return h_; }
    T take() {
        if (h_.promise().error) std::rethrow_exception(h_.promise().error);
        return h_.promise().take();
    }

private:
    handle_type h_;
};

template <class A>
bridge<await_result_t<A>> bridge_await(A a) {
    co_return co_await std::move(a);
}

}  // namespace corolla::detail
