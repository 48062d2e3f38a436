// runtime: one event loop per core, share-nothing (Seastar's model, asyncio's semantics
// inside each loop). Loop 0 runs on the thread that calls run(), every other loop on a
// thread of its own; tasks never move between loops, and loops talk by messages:
// submit_to(i, fn) runs fn on loop i and gives the caller a future on its own loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/loop_options.hpp>
#include <corolla/runtime/detail/remote_call.hpp>

namespace corolla {

class runner;

/// What a runtime is made of.
struct runtime_options {
    /// Number of loops; 0: one per CPU this process may run on (sched_getaffinity).
    std::size_t loops = 0;
    /// Backend of every loop; empty: `loop.backend`.
    std::string backend;
    /// Pins loop i's thread to the i-th CPU this process may run on (modulo their number);
    /// loop 0's thread gets its previous affinity back when run() returns.
    bool pin = false;
    /// Options of each loop. `selector` must be null (each loop makes its own) and so must
    /// `clock` when there is more than one loop (a clock object is not shared by threads).
    loop_options loop{};
    /// SIGINT and SIGTERM cancel the main future while run() runs (see run()).
    bool handle_signals = true;
};

/// run() ended because SIGTERM cancelled the main future (as keyboard_interrupt for SIGINT).
class terminate_request : public error {
public:
    terminate_request() : error("terminated (SIGTERM)") {}
};

/// N event loops, each on its own thread while run() runs. A runtime runs once: when run()
/// returns, every loop is closed and destroyed and every thread it started is joined.
class runtime {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    /// Creates the loops (no thread starts before run()). Throws std::invalid_argument for
    /// options it cannot honour, loop_running_error on a thread running a loop.
    explicit runtime(runtime_options options = {});
    /// Ends a run still in progress as run() would and destroys the loops.
    ~runtime();
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    /// Number of loops.
    std::size_t size() const noexcept { return loops_.size(); }
    /// Loop i. Throws std::out_of_range, or invalid_state_error once run() has returned.
    event_loop& loop(std::size_t i) const;
    /// Index of the loop of the calling thread during run(), or npos (not one of ours).
    /// run()'s caller is loop 0's thread, inside its loop or not (in `start`).
    std::size_t current_index() const noexcept;

    /// Runs the runtime until `start(loop(0))`'s future is done and returns its result
    /// (or throws its exception). `start` runs on loop 0's thread (the caller's) and makes
    /// the main task with whichever execution style it likes, or returns any future of
    /// loop 0. While it runs, the first SIGINT or SIGTERM cancels it (run() then throws
    /// keyboard_interrupt or terminate_request if that ends it) and a second one restores
    /// the signal's default action and raises it again; done only on the process's main
    /// thread, for a signal that has its default action. On return every loop has its
    /// tasks cancelled and awaited, its default executor drained, and is closed; the
    /// loops' threads are joined. Calls in flight end cancelled.
    template <class Start>
    auto run(Start&& start) {
        using M = std::invoke_result_t<Start&, event_loop&>;
        static_assert(detail::is_future_like<M>::value, "runtime::run: start(loop) must return a future or task");
        using T = typename M::value_type;
        begin_run();
        struct end_guard {
            runtime& r;
            ~end_guard() { r.end_run(); }
        } guard{*this};
        future<T> main = start(*loops_[0]);
        if (&main.get_loop() != loops_[0]) throw std::invalid_argument("runtime::run: main must run on loop 0");
        watch_main(main.state());
        try {
            return loops_[0]->run_until_complete(main);
        } catch (const cancelled_error&) {
            rethrow_if_interrupted();
            throw;
        }
    }

    /// Runs fn() on loop `index` and returns a future on the calling thread's loop for its
    /// outcome, awaitable by either execution style. When fn returns a future or a task
    /// (of loop `index`), the returned future ends as that one ends; otherwise fn's value
    /// is the result. Exceptions cross as they are. Cancelling the returned future asks
    /// the remote side to cancel (its task sees cancelled_error, fn not yet run never
    /// runs) and the future ends cancelled once that side has ended, so nothing the caller
    /// lent is used after it resumes. A remote side ending cancelled, or refused because
    /// the runtime is stopping, ends it cancelled too. The
    /// caller must be on a thread of this runtime's loops during run() (else
    /// invalid_state_error); `index` >= size() throws std::out_of_range. fn and the result
    /// move between threads: neither may hold futures or other loop-bound objects.
    template <class F>
    auto submit_to(std::size_t index, F fn) -> future<typename detail::remote_result<std::invoke_result_t<F&>>::type> {
        using R = typename detail::remote_result<std::invoke_result_t<F&>>::type;
        event_loop& caller = caller_loop(index);
        auto call = std::make_shared<detail::remote_call<R>>();
        call->caller_anchor = detail::loop_access::anchor(caller);
        call->target_anchor = anchors_[index];
        detail::intrusive_ptr<detail::remote_future_state<R>> state(new detail::remote_future_state<R>(caller, call));
        call->caller = state.get();
        detail::loop_access::hold_for_job(caller, state.get());
        using start_t = detail::remote_start<R, F>;
        auto msg = std::make_shared<start_t>(start_t{detail::report_duty<R>(call), std::move(fn), call});
        detail::post_to(*anchors_[index], [&](event_loop& target) {
            target.call_soon_threadsafe(
                [msg, &target, stopping = &stopping_] { msg->run(target, stopping->load(std::memory_order_acquire)); });
        });
        msg.reset();  // a refused message reports here, outside the target's lock
        return future<R>(detail::intrusive_ptr<detail::future_state<R>>(std::move(state)));
    }

private:
    void begin_run();
    void end_run() noexcept;
    void watch_main(detail::future_base* main);
    void rethrow_if_interrupted();
    void on_signal(int sig);
    void remove_signal_handlers() noexcept;
    event_loop& caller_loop(std::size_t index) const;

    std::vector<std::unique_ptr<runner>> runners_;
    std::vector<event_loop*> loops_;
    std::vector<std::shared_ptr<detail::loop_anchor>> anchors_;
    std::vector<std::thread> threads_;
    std::thread::id run_thread_;  ///< loop 0's thread (run()'s caller), set before any other starts
    std::vector<int> cpus_;       ///< the CPUs to pin to, when pinning
    std::atomic<bool> stopping_{false};
    std::atomic<int> phase_{0};  ///< 0 created, 3 starting, 1 running, 2 finished
    bool handle_signals_;
    detail::intrusive_ptr<detail::future_base> main_;
    std::vector<int> signals_installed_;
    int interrupts_ = 0;
    int first_signal_ = 0;
    std::shared_ptr<void> saved_affinity_;  ///< loop 0 thread's mask before pinning
};

/// runtime::submit_to as a free function.
template <class F>
auto submit_to(runtime& rt, std::size_t index, F fn) {
    return rt.submit_to(index, std::move(fn));
}

}  // namespace corolla
