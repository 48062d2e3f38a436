// concurrent_future<T>: a thread-safe view of a result produced on an event loop, for
// code running on other threads (concurrent.futures.Future as returned by asyncio's
// run_coroutine_threadsafe). It blocks in result(), never the loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/task.hpp>

namespace corolla {

namespace detail {

template <class T>
class concurrent_state {
public:
    explicit concurrent_state(event_loop& loop) : loop_(&loop) {}

    // --- loop thread -------------------------------------------------------------------
    /// Runs `start` (which makes the task, or any future) unless this was cancelled
    /// first, and forwards that future's outcome here.
    template <class Start>
    void start_on_loop(const std::shared_ptr<concurrent_state>& self, Start&& start) {
        if (is_done()) return;  // cancelled before the loop got to it: never run
        try {
            future<T> t = start();
            {
                std::lock_guard lock(mutex_);
                pending_ = t.state();
            }
            t.add_done_callback([self](future<T> f) { self->complete_from(f); });
        } catch (...) {
            finish([&] { error_ = std::current_exception(); });
        }
    }
    void cancel_on_loop() {
        future_base* f;
        {
            std::lock_guard lock(mutex_);
            f = pending_;
        }
        if (f) f->cancel({});  // a task: a cancellation request
    }

    // --- any thread ---------------------------------------------------------------------
    bool is_done() const {
        std::lock_guard lock(mutex_);
        return done_;
    }
    bool is_cancelled() const {
        std::lock_guard lock(mutex_);
        return cancelled_;
    }
    bool cancel(const std::shared_ptr<concurrent_state>& self) {
        if (!finish([&] { cancelled_ = true; })) return false;
        try {
            loop_->call_soon_threadsafe([self] { self->cancel_on_loop(); });
        } catch (const loop_closed_error&) {
        }
        return true;
    }
    std::unique_lock<std::mutex> lock() const { return std::unique_lock(mutex_); }
    std::condition_variable& cv() const { return cv_; }
    bool done_locked() const { return done_; }
    T take_locked() {
        if (cancelled_) throw cancelled_error("the coroutine was cancelled");
        if (error_) std::rethrow_exception(error_);
        if constexpr (!std::is_void_v<T>) {
            if constexpr (std::is_copy_constructible_v<T>)
                return *value_;
            else
                return std::move(*value_);
        }
    }
    std::exception_ptr error_locked() const {
        if (cancelled_) return std::make_exception_ptr(cancelled_error("the coroutine was cancelled"));
        return error_;
    }

private:
    void complete_from(future<T>& f) {
        {
            std::lock_guard lock(mutex_);
            pending_ = nullptr;  // finished: nothing left to cancel
        }
        if (f.cancelled()) {
            finish([&] { cancelled_ = true; });
            return;
        }
        std::exception_ptr e = f.exception();
        if (e) {
            finish([&] { error_ = e; });
            return;
        }
        if constexpr (std::is_void_v<T>)
            finish([] {});
        else
            finish([&] { value_.emplace(deliver(f)); });
    }
    template <class Set>
    bool finish(Set&& set) {
        {
            std::lock_guard lock(mutex_);
            if (done_) return false;
            set();
            done_ = true;
        }
        cv_.notify_all();
        return true;
    }

    event_loop* loop_;
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value_{};
    std::exception_ptr error_;
    /// The future (task) being run, kept alive by the done-callback registered on it
    /// until complete_from() clears this; used on the loop thread only.
    future_base* pending_ = nullptr;
    bool done_ = false;
    bool cancelled_ = false;
};

}  // namespace detail

/// A result computed on an event loop, waited for from any thread. Copies share the
/// same state. All members are thread-safe; result() must not be called on the loop's
/// own thread while the result is pending (that would deadlock the loop: it throws
/// invalid_state_error instead).
template <class T>
class concurrent_future {
public:
    concurrent_future() = default;
    explicit concurrent_future(std::shared_ptr<detail::concurrent_state<T>> s) : s_(std::move(s)) {}

    bool done() const { return s_->is_done(); }
    bool cancelled() const { return s_->is_cancelled(); }
    /// Cancels: the future is cancelled at once and the task on the loop is asked to
    /// cancel. False when already done.
    bool cancel() { return s_->cancel(s_); }

    /// Blocks until done, then returns the value or throws the task's exception
    /// (cancelled_error when cancelled).
    T result() {
        auto lock = wait_locked(std::nullopt);
        return s_->take_locked();
    }
    /// result() that gives up after `timeout` with timeout_error (the task keeps running).
    template <class Rep, class Period>
    T result(std::chrono::duration<Rep, Period> timeout) {
        auto lock = wait_locked(std::chrono::duration_cast<duration>(timeout));
        return s_->take_locked();
    }
    /// Blocks until done; the exception (null on success, cancelled_error when cancelled).
    std::exception_ptr exception() {
        auto lock = wait_locked(std::nullopt);
        return s_->error_locked();
    }

private:
    std::unique_lock<std::mutex> wait_locked(std::optional<duration> timeout) {
        auto lock = s_->lock();
        if (!s_->done_locked() && event_loop::running())
            throw invalid_state_error("concurrent_future::result() on an event loop thread would block the loop");
        auto ready = [&] { return s_->done_locked(); };
        if (!timeout)
            s_->cv().wait(lock, ready);
        else if (!s_->cv().wait_for(lock, *timeout, ready))
            throw timeout_error("concurrent_future: timed out waiting for the result");
        return lock;
    }

    std::shared_ptr<detail::concurrent_state<T>> s_;
};

}  // namespace corolla
