// Shared pieces of the benchmark binaries: workload sizes (shrunk for smoke runs), the
// naming scheme tools/compare pairs results by, and the registration hooks of the floor
// and peer files. Names are "<scenario>/<variant>" with variant "corolla:<backend>",
// "floor:<mechanism>", "floor" or a peer such as "libuv". The fiber scenarios also run
// corolla's other execution style beside its fibers, for reference, as "coro:<backend>"
// (a coroutine task doing the same); tools/compare never judges a target on it. The sync
// and queue scenarios run corolla's coroutine tasks as "corolla:<backend>" and its fibers
// as "fiber:<backend>" (the same objects serve both styles, so both are judged), with
// "floor:<backend>" / "floor:fiber:<backend>" for a floor built from corolla's own futures.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.hpp"

namespace corolla::bench {

/// Items per benchmark iteration for the batch scenarios.
struct bench_sizes {
    std::size_t call_soon_batch = 10'000;
    std::size_t timer_count = 1'000'000;
    std::size_t task_count = 1'000'000;         ///< task_spawn: tasks created, run and finished
    std::size_t pingpong_rounds = 100'000;      ///< future_pingpong: round trips
    std::size_t ready_awaits = 1'000'000;       ///< await_ready_future: awaits of a done future
    std::size_t idle_tasks = 1'000'000;         ///< idle_task_memory: tasks parked in a 1 h sleep
    std::size_t fiber_switches = 200'000;       ///< fiber_switch: switches between two fibers
    std::size_t fiber_count = 100'000;          ///< fiber_spawn: fibers spawned, run and finished
    std::size_t idle_fibers = 100'000;          ///< idle_fiber_memory: fibers parked in a 1 h sleep
    std::size_t lock_ops = 1'000'000;           ///< lock_uncontended: acquire+release pairs
    std::size_t lock_handoffs = 100'000;        ///< lock_handoff: hand-offs between two tasks (also the floor's hops)
    std::size_t event_hops = 100'000;           ///< event_set_resume: set -> waiter resumes
    std::size_t queue_items = 200'000;          ///< queue_throughput_*: items from producer to consumer
    std::size_t wake_rounds = 5'000;            ///< cross_thread_wake: round trips between two loops' threads
    std::size_t bulk_mib = 64;                  ///< bulk_transfer: MiB streamed per round
    std::size_t accept_cycles = 2'000;          ///< accept_churn: connect+accept+close cycles per round
    std::size_t idle_fibers_large = 1'000'000;  ///< idle_fiber_memory_1m: fibers parked on 16 KiB stacks
    std::size_t crawlers_small = 100;           ///< crawlers_<n>: the seeds' 100 crawlers waiting 0.2 s each
    std::size_t crawlers_large = 100'000;       ///< ... and scaled up
    // Python asyncio is some 10-50x slower per item, so its runs are scaled down to keep a
    // round in the seconds; the figures compared are per item (idle memory: per task).
    std::size_t python_task_count = 100'000;
    std::size_t python_pingpong_rounds = 10'000;
    std::size_t python_ready_awaits = 1'000'000;
    std::size_t python_idle_tasks = 100'000;
    std::size_t python_lock_ops = 200'000;
    std::size_t python_lock_handoffs = 20'000;
    std::size_t python_event_hops = 20'000;
    std::size_t python_queue_items = 20'000;
    bool smoke = false;
};

/// The full sizes, or tiny ones when COROLLA_BENCH_SMOKE is set to anything but "0" (used
/// by `tools/compare --smoke` so a CTest run stays in the seconds).
inline bench_sizes sizes_from_env() {
    const char* smoke = std::getenv("COROLLA_BENCH_SMOKE");
    if (smoke && *smoke && std::string_view(smoke) != "0")
        return {.call_soon_batch = 100,
                .timer_count = 1'000,
                .task_count = 1'000,
                .pingpong_rounds = 1'000,
                .ready_awaits = 1'000,
                .idle_tasks = 1'000,
                .fiber_switches = 1'000,
                .fiber_count = 1'000,
                .idle_fibers = 1'000,
                .lock_ops = 1'000,
                .lock_handoffs = 1'000,
                .event_hops = 1'000,
                .queue_items = 2'000,
                .wake_rounds = 100,
                .bulk_mib = 1,
                .accept_cycles = 50,
                .idle_fibers_large = 2'000,
                .crawlers_small = 100,
                .crawlers_large = 1'000,
                .python_task_count = 1'000,
                .python_pingpong_rounds = 100,
                .python_ready_awaits = 1'000,
                .python_idle_tasks = 1'000,
                .python_lock_ops = 1'000,
                .python_lock_handoffs = 100,
                .python_event_hops = 100,
                .python_queue_items = 2'000,
                .smoke = true};
    return {};
}

inline std::string bench_name(std::string_view scenario, std::string_view variant) {
    std::string s(scenario);
    s += '/';
    s += variant;
    return s;
}

/// "a,b,c": the backends a binary ran, for the JSON context.
inline std::string join(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names)
        s += (s.empty() ? "" : ",") + n;
    return s;
}

/// Records how many items one iteration handles: items/s for the console and a "batch"
/// counter so tools/compare can turn time per iteration into time per item.
inline void set_batch(benchmark::State& state, std::size_t batch) {
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
    state.counters["batch"] = static_cast<double>(batch);
}

/// The measuring loop of a batch scenario: one untimed `round()` first (so every contender
/// runs on warm memory), then one per iteration; a round that returns false ends the
/// benchmark with `failure`. `batch` items per round.
template <class Round>
void timed_rounds(benchmark::State& state, std::size_t batch, const char* failure, Round round) {
    if (!round()) state.SkipWithError(failure);
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError(failure);
            break;
        }
    set_batch(state, batch);
}

/// Timer delays for the start/cancel scenario, identical for every contender: spread
/// over 1..11 s in whole milliseconds (libuv's unit) from a fixed LCG, so the heaps see
/// the same unordered insertions and no timer comes due during the measurement.
inline std::vector<std::uint64_t> timer_delays_ms(std::size_t n) {
    std::vector<std::uint64_t> out(n);
    std::uint64_t x = 0x2545f4914f6cdd1dULL;
    for (auto& d : out) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        d = 1000 + (x >> 33) % 10'000;
    }
    return out;
}

// Floors (peers/floor_loop_bench.cpp): hand-written minimal versions of a mechanism.

/// Registers loop_tick/floor:<mechanism>; false if there is no floor for it.
bool register_floor_loop_tick(const std::string& mechanism);
/// Registers call_soon/floor: a vector of std::function filled and drained.
void register_floor_call_soon(const bench_sizes& sizes);

// Task floors (peers/floor_task_bench.cpp): raw C++20 coroutines on a hand-written queue.

/// Registers task_spawn/floor, future_pingpong/floor and await_ready_future/floor.
void register_floor_tasks(const bench_sizes& sizes);
/// Registers idle_task_memory/floor, measured in a child process (see register_idle_memory).
void register_floor_idle_memory(const bench_sizes& sizes);
/// The floor's idle-memory measurement, run inside the child process; ends it.
[[noreturn]] void floor_idle_memory_child(std::size_t tasks);

// Fiber floors (peers/floor_fiber_bench.cpp): raw boost::context::fiber, no loop, no task.

/// Fiber stack sizes of the idle-fiber-memory scenarios: the loop's default and the
/// smallest the fiber adapter hands out (its minimum, four pages).
inline constexpr std::size_t default_fiber_stack = std::size_t{128} << 10;
inline constexpr std::size_t small_fiber_stack = std::size_t{16} << 10;

/// Registers fiber_switch/floor and fiber_spawn/floor.
void register_floor_fibers(const bench_sizes& sizes);
/// Registers idle_fiber_memory/floor and idle_fiber_memory_small/floor (child processes).
void register_floor_idle_fibers(const bench_sizes& sizes);
/// The floor's idle-fiber measurement (`stack` bytes per fiber), run in the child; ends it.
[[noreturn]] void floor_idle_fibers_child(std::size_t fibers, std::size_t stack);

// Boost.Fiber peer (peers/boost_fiber_bench.cpp), compiled only when Boost.Fiber of the
// same Boost as the fiber adapter's Boost.Context was found.
#if defined(COROLLA_BENCH_HAVE_BOOST_FIBER)
/// Registers fiber_switch/boost_fiber and fiber_spawn/boost_fiber.
void register_boost_fibers(const bench_sizes& sizes);
/// Registers idle_fiber_memory/boost_fiber (Boost.Fiber's default stack).
void register_boost_idle_fibers(const bench_sizes& sizes);
[[noreturn]] void boost_idle_fibers_child(std::size_t fibers);
#endif

// Sync and queue benchmarks (corolla_bench_sync): perf/sync/sync_bench.cpp holds main and
// the lock and event scenarios, perf/queue/queue_bench.cpp the queue ones.

/// Registers queue_throughput_1 and queue_throughput_1024 for every backend: coroutine
/// tasks ("corolla:<backend>") and, when built with fibers, fibers ("fiber:<backend>").
void register_corolla_queues(const std::vector<std::string>& backends, const bench_sizes& sizes);

#if defined(COROLLA_BENCH_HAVE_BOOST_FIBER)
/// Registers the Boost.Fiber peer of the sync binary (peers/boost_fiber_sync_bench.cpp):
/// lock_uncontended, lock_handoff, event_set_resume, queue_throughput_*.
void register_boost_fiber_sync(const bench_sizes& sizes);
#endif
#if defined(COROLLA_BENCH_HAVE_ASIO)
/// Registers queue_throughput_*/asio and queue_throughput_*/asio_callbacks
/// (peers/asio_queue_bench.cpp): experimental::channel with coroutines and with callbacks.
void register_asio_queues(const bench_sizes& sizes);
#endif
#if defined(COROLLA_BENCH_PYTHON)
/// Registers the asyncio peer of the sync binary (peers/python_sync_bench.cpp running
/// peers/asyncio_sync.py).
void register_python_sync(const bench_sizes& sizes);
#endif

#if defined(COROLLA_BENCH_PYTHON)
/// The command running peers/asyncio_crawlers.py for `n` crawlers (crawlers_<n>).
std::vector<std::string> python_crawlers_argv(std::size_t n);
#endif

// TCP streams (corolla_bench_net, perf/net/stream_bench.cpp).

/// Registers bulk_transfer and accept_churn for every backend beside their floors.
void register_stream_benchmarks(const std::vector<std::string>& backends, const bench_sizes& sizes);

// Cross-thread wake-up (corolla_bench_wake, perf/core/wake_bench.cpp).

/// Registers cross_thread_wake/floor and /floor:epoll (peers/floor_wake_bench.cpp): two
/// threads waking each other over eventfds.
void register_floor_wake(const bench_sizes& sizes);
#if defined(COROLLA_BENCH_HAVE_LIBUV)
/// Registers cross_thread_wake/libuv (peers/uv_wake_bench.cpp): uv_async_send between two loops.
void register_uv_wake(const bench_sizes& sizes);
#endif
#if defined(COROLLA_BENCH_HAVE_ASIO)
/// Registers cross_thread_wake/asio (peers/asio_wake_bench.cpp): post between two io_contexts.
void register_asio_wake(const bench_sizes& sizes);
#endif

// Boost.Asio peer (peers/asio_task_bench.cpp), compiled only when Boost >= 1.81 was found.
#if defined(COROLLA_BENCH_HAVE_ASIO)
void register_asio_tasks(const bench_sizes& sizes);
void register_asio_idle_memory(const bench_sizes& sizes);
[[noreturn]] void asio_idle_memory_child(std::size_t tasks);
#endif

// Python asyncio peer (peers/python_task_bench.cpp running peers/asyncio_tasks.py),
// compiled only when a python3 interpreter was found at configure time.
#if defined(COROLLA_BENCH_PYTHON)
void register_python_tasks(const bench_sizes& sizes);
void register_python_idle_memory(const bench_sizes& sizes);
#endif

// libuv peer (peers/uv_loop_bench.cpp), compiled only when libuv was found.
#if defined(COROLLA_BENCH_HAVE_LIBUV)
void register_uv_loop_tick();
void register_uv_timer_start_cancel(const bench_sizes& sizes);
void register_uv_timer_fire(const bench_sizes& sizes);
void register_uv_timer_million(const bench_sizes& sizes);
#endif

}  // namespace corolla::bench
