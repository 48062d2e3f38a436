// release_guard: the RAII holder that `co_await lock.scoped()` / `corolla::await(
// sem.scoped())` return (asyncio's `async with lock:`), and the operation behind scoped().
#pragma once

#include <exception>
#include <utility>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>

namespace corolla {

/// Holds a lock, condition or semaphore permit and releases it when destroyed (or at
/// release()). Movable, not copyable; an empty guard holds nothing.
template <class P>
class release_guard {
public:
    release_guard() noexcept = default;
    explicit release_guard(P& p) noexcept : p_(&p) {}
    release_guard(release_guard&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    release_guard& operator=(release_guard&& o) noexcept {
        if (this != &o) {
            reset();
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    ~release_guard() { reset(); }

    bool owns() const noexcept { return p_ != nullptr; }
    explicit operator bool() const noexcept { return owns(); }
    /// Releases now (the destructor then does nothing).
    void release() {
        if (P* p = std::exchange(p_, nullptr)) p->release();
    }
    /// Gives up ownership without releasing; the caller releases.
    P* dismiss() noexcept { return std::exchange(p_, nullptr); }

private:
    void reset() noexcept {
        if (P* p = std::exchange(p_, nullptr)) p->release();
    }
    P* p_ = nullptr;
};

namespace detail {

/// The operation of scoped(): the acquire operation, then a guard.
template <class P, class Acquire>
class scoped_op {
public:
    using result_type = release_guard<P>;
    scoped_op(P& p, Acquire op) noexcept : p_(&p), op_(std::move(op)) {}
    future_base* start(event_loop& loop) { return op_.start(loop); }
    release_guard<P> finish(std::exception_ptr injected) {
        op_.finish(std::move(injected));
        return release_guard<P>(*p_);
    }

private:
    P* p_;
    Acquire op_;
};

}  // namespace detail
}  // namespace corolla
