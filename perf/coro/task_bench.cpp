// Task-model benchmarks: spawning 10^6 trivial coroutine tasks, a future ping-pong between
// two tasks, co_await of an already-done future, and the resident memory of 10^6 tasks
// parked in sleep(1h). Every scenario runs on every compiled backend in this one binary,
// beside raw coroutines on a hand-written queue (peers/floor_task_bench.cpp), Boost.Asio
// (peers/asio_task_bench.cpp) and Python asyncio (peers/python_task_bench.cpp).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>

#include "support/bench_main.hpp"
#include "support/bench_support.hpp"
#include "support/idle_child.hpp"

#ifndef COROLLA_BENCH_BUILD_TYPE
#define COROLLA_BENCH_BUILD_TYPE "unknown"
#endif

namespace corolla::bench {
namespace {

loop_options options_for(const std::string& backend) {
    loop_options options;
    options.backend = backend;
    return options;
}

coro<void> trivial(std::size_t& finished) {
    ++finished;
    co_return;
}

// `n` tasks created, then the loop runs until every one has finished (they all finish in
// their first step, so in one iteration); a finished task whose handle was dropped is
// freed at once. One untimed round first, so every contender runs on warm memory.
void corolla_task_spawn(benchmark::State& state, const std::string& backend, std::size_t n) {
    event_loop loop{options_for(backend)};
    std::size_t finished = 0;
    auto round = [&] {
        finished = 0;
        for (std::size_t i = 0; i < n; ++i)
            create_task(loop, trivial(finished));
        for (int turns = 0; turns < 3 && finished < n; ++turns)
            loop.run_once(/*nowait=*/true);
        return finished == n && loop.stats().tasks == 0;
    };
    if (!round()) state.SkipWithError("the tasks did not finish within three iterations");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the tasks did not finish within three iterations");
            break;
        }
    set_batch(state, n);
}

// One player of the ping-pong. The ball is a future: a player waits on `mine`, re-arms it
// with a fresh future, then completes `theirs`, the future the other player waits on.
// The server hits first and skips its last hit, so each side receives exactly `hits`.
coro<void> player(event_loop& loop, future<void>& mine, future<void>& theirs, std::size_t hits, bool serves) {
    if (serves) theirs.set_result();
    for (std::size_t i = 0; i < hits; ++i) {
        co_await mine;
        mine = loop.create_future<void>();
        if (!serves || i + 1 < hits) theirs.set_result();
    }
}

// Time per round trip: each hop creates a future, completes it (its done-callback goes
// through the ready queue) and resumes the other task in the next loop iteration.
void corolla_future_pingpong(benchmark::State& state, const std::string& backend, std::size_t rounds) {
    event_loop loop{options_for(backend)};
    auto round = [&] {
        future<void> to_a = loop.create_future<void>();
        future<void> to_b = loop.create_future<void>();
        auto a = create_task(loop, player(loop, to_a, to_b, rounds, true));
        auto b = create_task(loop, player(loop, to_b, to_a, rounds, false));
        for (std::size_t turns = 0; turns < 2 * rounds + 4 && !(a.done() && b.done()); ++turns)
            loop.run_once(/*nowait=*/true);
        return a.done() && b.done() && !a.exception() && !b.exception();
    };
    if (!round()) state.SkipWithError("the ping-pong did not finish");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the ping-pong did not finish");
            break;
        }
    set_batch(state, rounds);
}

coro<std::uint64_t> await_done(future<int> f, std::size_t n) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i)
        sum += static_cast<std::uint64_t>(co_await f);
    co_return sum;
}

// Time per co_await of a future that is already done: the task never suspends.
void corolla_await_ready_future(benchmark::State& state, const std::string& backend, std::size_t n) {
    event_loop loop{options_for(backend)};
    future<int> ready = loop.create_future<int>();
    ready.set_result(1);
    auto round = [&] {
        auto t = create_task(loop, await_done(ready, n));
        for (int turns = 0; turns < 3 && !t.done(); ++turns)
            loop.run_once(/*nowait=*/true);
        return t.done() && !t.exception() && t.result() == n;
    };
    if (!round()) state.SkipWithError("the awaiting task did not finish in one step");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the awaiting task did not finish in one step");
            break;
        }
    set_batch(state, n);
}

coro<void> idle() { co_await sleep(std::chrono::hours(1)); }

// Runs in the child process: `n` tasks created with their handles dropped (the loop keeps
// them), one iteration in which each starts and parks in sleep(1h) (a timer in the heap),
// then the resident growth since just after the loop was made. Exits with the loop alive.
[[noreturn]] void corolla_idle_memory_child(const std::string& backend, std::size_t n) {
    event_loop loop{options_for(backend)};
    park_and_report(
        loop, n, [&] { create_task(loop, idle()); },
        [&] {
            const loop_stats st = loop.stats();
            if (st.tasks == n && st.timers == n) return true;
            std::fprintf(stderr, "corolla idle tasks: %zu tasks and %zu timers live, expected %zu\n", st.tasks,
                         st.timers, n);
            return false;
        });
}

// Registration order is run order (unless --benchmark_enable_random_interleaving):
// per scenario every backend, then the floor, then the peers.
void register_all(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("task_spawn", "corolla:" + b).c_str(), corolla_task_spawn, b,
                                     sizes.task_count)
            ->Unit(benchmark::kMillisecond);
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("future_pingpong", "corolla:" + b).c_str(), corolla_future_pingpong, b,
                                     sizes.pingpong_rounds)
            ->Unit(benchmark::kMillisecond);
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("await_ready_future", "corolla:" + b).c_str(),
                                     corolla_await_ready_future, b, sizes.ready_awaits)
            ->Unit(benchmark::kMillisecond);
    register_floor_tasks(sizes);
#if defined(COROLLA_BENCH_HAVE_ASIO)
    register_asio_tasks(sizes);
#endif
#if defined(COROLLA_BENCH_PYTHON)
    register_python_tasks(sizes);
#endif

    for (const auto& b : backends)
        register_idle_memory("corolla:" + b, idle_memory_child_argv("corolla:" + b, sizes.idle_tasks),
                             sizes.idle_tasks);
    register_floor_idle_memory(sizes);
#if defined(COROLLA_BENCH_HAVE_ASIO)
    register_asio_idle_memory(sizes);
#endif
#if defined(COROLLA_BENCH_PYTHON)
    register_python_idle_memory(sizes);
#endif
}

// The child mode: `--idle-memory-child <variant> <tasks>` measures one variant in this
// fresh process, prints its sample and leaves without tearing the tasks down.
int idle_memory_child_main(const std::string& variant, std::size_t n) {
    if (variant.rfind("corolla:", 0) == 0) corolla_idle_memory_child(variant.substr(8), n);
    if (variant == "floor") floor_idle_memory_child(n);
#if defined(COROLLA_BENCH_HAVE_ASIO)
    if (variant == "asio") asio_idle_memory_child(n);
#endif
    std::fprintf(stderr, "corolla_bench_tasks: no idle-memory variant %s\n", variant.c_str());
    return 2;
}

}  // namespace
}  // namespace corolla::bench

int main(int argc, char** argv) {
    using namespace corolla::bench;
    if (argc == 4 && std::strcmp(argv[1], idle_memory_child_flag) == 0)
        return idle_memory_child_main(argv[2], std::strtoull(argv[3], nullptr, 10));

    return run_benchmarks(argc, argv, "corolla_bench_tasks", COROLLA_BENCH_BUILD_TYPE, register_all,
                          built_peers({{have_asio, "asio"}, {have_python, "python_asyncio"}}));
}
