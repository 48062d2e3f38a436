// Blocking work off the loop thread (asyncio's run_in_executor / to_thread): the call runs
// on a thread_pool worker and its result or exception completes a future on the loop, so
// code of both execution styles can await it.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <corolla/core/detail/loop_anchor.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/thread_pool.hpp>
#include <corolla/core/detail/loop_access.hpp>

namespace corolla {

namespace detail {

/// The future of a job on a pool. cancel() before the job starts keeps it from running
/// (concurrent.futures semantics); once it runs, the future is cancelled and the result
/// is dropped when it arrives.
template <class R>
class executor_state final : public future_state<R> {
public:
    using future_state<R>::future_state;
    bool cancel(std::string message) override {
        std::uint8_t expected = queued;
        phase_.compare_exchange_strong(expected, cancelled, std::memory_order_acq_rel);
        return this->cancel_now(std::move(message));
    }
    /// Worker side: false when the job was cancelled before it started.
    bool begin() noexcept {
        std::uint8_t expected = queued;
        return phase_.compare_exchange_strong(expected, running, std::memory_order_acq_rel);
    }

private:
    enum : std::uint8_t { queued, running, cancelled };
    std::atomic<std::uint8_t> phase_{queued};
};

template <class R>
struct job_result {
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value{};
    std::exception_ptr error;
    bool ran = false;
};

}  // namespace detail

/// Runs fn(args...) on `pool` and returns a future for its result, completed on `loop`'s
/// thread. The arguments are moved to the worker. Cancelling the future before a worker
/// picks the job up keeps it from running; a job already running finishes and its result
/// is dropped. `pool` may outlive the loop: a job ending after the loop was closed or
/// destroyed drops its result (the future then never completes). The loop's default
/// executor is joined when the loop is destroyed.
template <class F, class... A>
auto run_in_executor(event_loop& loop, thread_pool& pool, F fn, A... args) -> future<std::invoke_result_t<F&, A&...>> {
    using R = std::invoke_result_t<F&, A&...>;
    detail::intrusive_ptr<detail::executor_state<R>> s(new detail::executor_state<R>(loop));
    // The worker never touches the (non-atomic) reference count. The loop holds a
    // reference for the job until the completion runs on the loop thread (or the loop is
    // destroyed); the worker uses the raw pointer only while the anchor says the loop is
    // alive.
    detail::executor_state<R>* raw = s.get();
    detail::loop_access::hold_for_job(loop, raw);
    try {
        pool.submit([raw, anchor = detail::loop_access::anchor(loop), fn = std::move(fn),
                     tup = std::make_tuple(std::move(args)...)]() mutable {
            detail::job_result<R> r;
            {
                std::lock_guard lock(anchor->mutex);
                if (!anchor->loop) return;
                r.ran = raw->begin();
            }
            if (r.ran) {
                try {
                    if constexpr (std::is_void_v<R>)
                        std::apply(fn, tup);
                    else
                        r.value.emplace(std::apply(fn, tup));
                } catch (...) {
                    r.error = std::current_exception();
                }
            }
            std::lock_guard lock(anchor->mutex);
            if (!anchor->loop) return;
            event_loop* target = anchor->loop;
            try {
                target->call_soon_threadsafe([raw, target, r = std::move(r)]() mutable {
                    detail::intrusive_ptr<detail::executor_state<R>> keep(raw);
                    if (!detail::loop_access::drop_job(*target, raw) || raw->done() || !r.ran) return;
                    if (r.error)
                        raw->set_exception(r.error);
                    else if constexpr (std::is_void_v<R>)
                        raw->set_result();
                    else
                        raw->set_result(std::move(*r.value));
                });
            } catch (const loop_closed_error&) {  // closed: the loop's destructor lets go
            }
        });
    } catch (...) {
        detail::loop_access::drop_job(loop, raw);
        throw;
    }
    return future<R>(detail::intrusive_ptr<detail::future_state<R>>(std::move(s)));
}

/// run_in_executor on the loop's default executor.
template <class F, class... A>
auto run_in_executor(event_loop& loop, F fn, A... args) -> future<std::invoke_result_t<F&, A&...>> {
    return run_in_executor(loop, loop.default_executor(), std::move(fn), std::move(args)...);
}

/// asyncio.to_thread: fn(args...) on the running loop's default executor. Throws
/// invalid_state_error when no loop runs on this thread.
template <class F, class... A>
auto to_thread(F fn, A... args) -> future<std::invoke_result_t<F&, A&...>> {
    event_loop* loop = event_loop::running();
    if (!loop) throw invalid_state_error("to_thread: no running event loop");
    return run_in_executor(*loop, std::move(fn), std::move(args)...);
}

}  // namespace corolla
