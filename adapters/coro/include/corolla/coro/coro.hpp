// coro<T>: corolla's lazy coroutine type (asyncio's coroutine object). `co_await
// other_coro()` runs the callee inline in the caller's task, with no scheduling, like
// `await coro()` in Python. `co_await` on a future or task suspends the task until it
// is done. A coroutine that finishes synchronously hands control straight back to its
// caller (no resume chain), so a loop over 10^6 synchronously finishing coroutines uses
// constant stack in every build mode, sanitizers and -O0 included.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <new>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include <corolla/core/detail/small_pool.hpp>
#include <corolla/core/errors.hpp>

namespace corolla {

template <class T = void>
class coro;

namespace detail {

/// Frame allocation from the per-thread pool (frames up to 512 bytes; larger ones use
/// the global allocator).
struct coro_frame_alloc {
    static void* operator new(std::size_t size) { return pool_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }
};

class coro_promise_base : public coro_frame_alloc {
public:
    // The default argument is evaluated in the coroutine itself, so it names the
    // coroutine function (for the printed form of tasks); one pointer per frame.
    explicit coro_promise_base(std::source_location where) noexcept : where_(where) {}
    std::suspend_always initial_suspend() noexcept { return {}; }

    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            coro_promise_base& p = h.promise();
            if (p.inline_start()) {
                // Still inside the caller's await_suspend: it continues the caller itself.
                p.set_finished_inline();
                return std::noop_coroutine();
            }
            const std::coroutine_handle<> c = p.continuation();
            return c ? c : std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }

    std::coroutine_handle<> continuation() const noexcept {
        return std::coroutine_handle<>::from_address(reinterpret_cast<void*>(continuation_ & ~flag_mask));
    }
    bool inline_start() const noexcept { return continuation_ & inline_start_flag; }
    bool finished_inline() const noexcept { return continuation_ & finished_inline_flag; }
    /// Called by the awaiting coroutine: resumed inline from its await_suspend.
    void start_inline(std::coroutine_handle<> caller) noexcept {
        continuation_ = reinterpret_cast<std::uintptr_t>(caller.address()) | inline_start_flag;
    }
    void end_inline_start() noexcept { continuation_ &= ~inline_start_flag; }
    void set_finished_inline() noexcept { continuation_ |= finished_inline_flag; }

    std::source_location where_;
    std::exception_ptr exception_{};

private:
    // The caller's frame address with two flags in its low bits (frames are at least
    // pointer-aligned): still inside the caller's await_suspend, and finished there.
    static constexpr std::uintptr_t inline_start_flag = 1, finished_inline_flag = 2, flag_mask = 3;
    std::uintptr_t continuation_ = 0;
};

template <class T>
class coro_promise : public coro_promise_base {
public:
    coro_promise(std::source_location where = std::source_location::current()) noexcept  // NOLINT
        : coro_promise_base(where) {}
    coro<T> get_return_object() noexcept;
    template <class U = T>
    void return_value(U&& v) {
        ::new (static_cast<void*>(&value_)) T(std::forward<U>(v));
        has_value_ = true;
    }
    T take() {
        if (exception_) std::rethrow_exception(exception_);
        return std::move(value_);
    }
    ~coro_promise() {
        if (has_value_) value_.~T();
    }

private:
    union {
        T value_;
    };
    bool has_value_ = false;
};

template <>
class coro_promise<void> : public coro_promise_base {
public:
    coro_promise(std::source_location where = std::source_location::current()) noexcept  // NOLINT
        : coro_promise_base(where) {}
    coro<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void take() {
        if (exception_) std::rethrow_exception(exception_);
    }
};

}  // namespace detail

/// A lazy coroutine producing T. Move-only; destroying an un-awaited coro destroys its
/// frame without running it.
template <class T>
class [[nodiscard]] coro {
public:
    using promise_type = detail::coro_promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    coro() noexcept = default;
    explicit coro(handle_type h) noexcept : h_(h) {}
    coro(coro&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    coro& operator=(coro&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~coro() { reset(); }

    explicit operator bool() const noexcept { return static_cast<bool>(h_); }
    handle_type release() noexcept { return std::exchange(h_, {}); }

    /// Awaiting a coro runs it inline in the awaiting task.
    auto operator co_await() && noexcept {
        struct awaiter {
            handle_type h;
            bool await_ready() const noexcept { return !h || h.done(); }
            bool await_suspend(std::coroutine_handle<> caller) {
                auto& p = h.promise();
                p.start_inline(caller);
                h.resume();
                p.end_inline_start();
                return !p.finished_inline();  // finished already: continue the caller now
            }
            T await_resume() {
                if (!h) throw invalid_state_error("co_await of an empty coro");
                return h.promise().take();
            }
        };
        return awaiter{h_};
    }

private:
    void reset() noexcept {
        if (h_) std::exchange(h_, {}).destroy();
    }
    handle_type h_{};
};

namespace detail {
/// "do_some_work()" for the coroutine started at `where` (its function's name without
/// return type and arguments), as tasks print it.
std::string coroutine_name(const std::source_location& where);

/// True for coro<T> (constrains the wrappers that take a body).
template <class T>
struct is_coro : std::false_type {};
template <class T>
struct is_coro<coro<T>> : std::true_type {};

template <class T>
coro<T> coro_promise<T>::get_return_object() noexcept {
    return coro<T>(std::coroutine_handle<coro_promise<T>>::from_promise(*this));
}
inline coro<void> coro_promise<void>::get_return_object() noexcept {
    return coro<void>(std::coroutine_handle<coro_promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace corolla
