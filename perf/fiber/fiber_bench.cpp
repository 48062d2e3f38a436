// Fiber benchmarks: two fibers switching through the loop, spawning 10^5 fibers, and the
// resident memory of 10^5 fibers parked in sleep(1h) on the loop's default stack and on
// the smallest stack the adapter hands out, and of 10^6 on the smallest stack. Every scenario runs on every compiled
// backend in this one binary, with corolla's coroutine tasks doing the same beside the fibers
// ("coro:<backend>", for reference), the raw Boost.Context floor
// (peers/floor_fiber_bench.cpp) and Boost.Fiber (peers/boost_fiber_bench.cpp).
#include <algorithm>
#include <chrono>
#include <cstddef>
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
#include <corolla/fiber/fiber.hpp>

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

// --- fiber_switch ----------------------------------------------------------------------

// Two fibers (or coroutine tasks) each give up their turn `yields` times; with both in the
// ready queue every yield hands the thread to the other one through the loop: suspend to
// the loop, the loop pops the other's step, resumes it. One switch per yield.
void fiber_yielder(std::size_t yields) {
    for (std::size_t i = 0; i < yields; ++i)
        this_fiber::yield();
}

coro<void> coro_yielder(std::size_t yields) {
    for (std::size_t i = 0; i < yields; ++i)
        co_await sleep(std::chrono::seconds(0));
}

template <class Spawn>
void switch_rounds(benchmark::State& state, const std::string& backend, std::size_t switches, Spawn spawn) {
    event_loop loop{options_for(backend)};
    const std::size_t yields = switches / 2;
    auto round = [&] {
        auto a = spawn(loop, yields);
        auto b = spawn(loop, yields);
        for (std::size_t turns = 0; turns < yields + 4 && !(a.done() && b.done()); ++turns)
            loop.run_once(/*nowait=*/true);
        return a.done() && b.done() && !a.exception() && !b.exception();
    };
    if (!round()) state.SkipWithError("the switching did not finish");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the switching did not finish");
            break;
        }
    set_batch(state, 2 * yields);
}

void corolla_fiber_switch(benchmark::State& state, const std::string& backend, std::size_t switches) {
    switch_rounds(state, backend, switches,
                  [](event_loop& loop, std::size_t yields) { return spawn_fiber(loop, fiber_yielder, yields); });
}

void corolla_coro_switch(benchmark::State& state, const std::string& backend, std::size_t switches) {
    switch_rounds(state, backend, switches,
                  [](event_loop& loop, std::size_t yields) { return create_task(loop, coro_yielder(yields)); });
}

// --- fiber_spawn -----------------------------------------------------------------------

coro<void> coro_trivial(std::size_t& finished) {
    ++finished;
    co_return;
}

// `n` fibers spawned with their handles dropped, then the loop runs until every one has
// finished (each in its first step). A fiber takes its stack from the thread's pool when
// it first runs and gives it back when it ends, so the round reuses one stack; the untimed
// first round warms the pool.
template <class Spawn>
void spawn_rounds(benchmark::State& state, const std::string& backend, std::size_t n, Spawn spawn) {
    event_loop loop{options_for(backend)};
    std::size_t finished = 0;
    auto round = [&] {
        finished = 0;
        for (std::size_t i = 0; i < n; ++i)
            spawn(loop, finished);
        for (int turns = 0; turns < 3 && finished < n; ++turns)
            loop.run_once(/*nowait=*/true);
        return finished == n && loop.stats().tasks == 0 && fiber_stacks().in_use == 0;
    };
    if (!round()) state.SkipWithError("the tasks did not finish within three iterations");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the tasks did not finish within three iterations");
            break;
        }
    set_batch(state, n);
}

void corolla_fiber_spawn(benchmark::State& state, const std::string& backend, std::size_t n) {
    spawn_rounds(state, backend, n,
                 [](event_loop& loop, std::size_t& finished) { spawn_fiber(loop, [&finished] { ++finished; }); });
}

void corolla_coro_spawn(benchmark::State& state, const std::string& backend, std::size_t n) {
    spawn_rounds(state, backend, n,
                 [](event_loop& loop, std::size_t& finished) { create_task(loop, coro_trivial(finished)); });
}

// --- idle_fiber_memory -----------------------------------------------------------------

coro<void> coro_idle() { co_await sleep(std::chrono::hours(1)); }

// Runs in the child process: `n` fibers (or coroutine tasks) spawned with their handles
// dropped, one iteration in which each starts and parks in sleep(1h), then the resident
// growth since just after the loop was made. Exits with the loop alive.
[[noreturn]] void corolla_idle_child(const std::string& backend, std::size_t n, std::size_t stack, bool fibers) {
    set_default_fiber_stack_size(stack);  // a fresh process: only its own fibers see it
    event_loop loop{options_for(backend)};
    park_and_report(
        loop, n,
        [&] {
            if (fibers)
                spawn_fiber(loop, [] { this_fiber::sleep(std::chrono::hours(1)); });
            else
                create_task(loop, coro_idle());
        },
        [&] {
            const loop_stats st = loop.stats();
            const std::size_t stacks = fiber_stacks().in_use;
            if (st.tasks == n && st.timers == n && stacks == (fibers ? n : 0)) return true;
            std::fprintf(stderr, "corolla idle %s: %zu tasks, %zu timers and %zu stacks live, expected %zu\n",
                         fibers ? "fibers" : "tasks", st.tasks, st.timers, stacks, n);
            return false;
        });
}

// Registration order is run order (unless --benchmark_enable_random_interleaving):
// per scenario every backend with fibers, then with coroutines, the floor, the peers.
void register_all(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("fiber_switch", "corolla:" + b).c_str(), corolla_fiber_switch, b,
                                     sizes.fiber_switches)
            ->Unit(benchmark::kMillisecond);
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("fiber_switch", "coro:" + b).c_str(), corolla_coro_switch, b,
                                     sizes.fiber_switches)
            ->Unit(benchmark::kMillisecond);
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("fiber_spawn", "corolla:" + b).c_str(), corolla_fiber_spawn, b,
                                     sizes.fiber_count)
            ->Unit(benchmark::kMillisecond);
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("fiber_spawn", "coro:" + b).c_str(), corolla_coro_spawn, b,
                                     sizes.fiber_count)
            ->Unit(benchmark::kMillisecond);
    register_floor_fibers(sizes);
#if defined(COROLLA_BENCH_HAVE_BOOST_FIBER)
    register_boost_fibers(sizes);
#endif

    const std::string stack = std::to_string(default_fiber_stack);
    const std::string small = std::to_string(small_fiber_stack);
    for (const auto& b : backends)
        register_child_memory("idle_fiber_memory", "corolla:" + b,
                              idle_memory_child_argv("corolla:" + b, sizes.idle_fibers, {stack}), sizes.idle_fibers,
                              "fiber");
    for (const auto& b : backends)
        register_child_memory("idle_fiber_memory", "coro:" + b,
                              idle_memory_child_argv("coro:" + b, sizes.idle_fibers, {"0"}), sizes.idle_fibers,
                              "fiber");
    for (const auto& b : backends)
        register_child_memory("idle_fiber_memory_small", "corolla:" + b,
                              idle_memory_child_argv("corolla:" + b, sizes.idle_fibers, {small}), sizes.idle_fibers,
                              "fiber");
    register_floor_idle_fibers(sizes);
#if defined(COROLLA_BENCH_HAVE_BOOST_FIBER)
    register_boost_idle_fibers(sizes);
#endif

    // 10^6 idle fibers on the smallest stacks: some 4.5 GB resident and tens of seconds per
    // child, so one backend (the figure does not depend on it: the loop holds a timer per
    // fiber whatever its selector) and the floor.
    const std::string one =
        std::find(backends.begin(), backends.end(), "epoll") != backends.end() ? "epoll" : backends.front();
    register_child_memory("idle_fiber_memory_1m", "corolla:" + one,
                          idle_memory_child_argv("corolla:" + one, sizes.idle_fibers_large, {small}),
                          sizes.idle_fibers_large, "fiber");
    register_child_memory("idle_fiber_memory_1m", "floor",
                          idle_memory_child_argv("floor", sizes.idle_fibers_large, {small}), sizes.idle_fibers_large,
                          "fiber");
}

// The child mode: `--idle-memory-child <variant> <fibers> <stack bytes>` measures one
// variant in this fresh process, prints its sample and leaves without tearing down.
int idle_memory_child_main(const std::string& variant, std::size_t n, std::size_t stack) {
    if (variant.rfind("corolla:", 0) == 0) corolla_idle_child(variant.substr(8), n, stack, true);
    if (variant.rfind("coro:", 0) == 0) corolla_idle_child(variant.substr(5), n, 0, false);
    if (variant == "floor") floor_idle_fibers_child(n, stack);
#if defined(COROLLA_BENCH_HAVE_BOOST_FIBER)
    if (variant == "boost_fiber") boost_idle_fibers_child(n);
#endif
    std::fprintf(stderr, "corolla_bench_fibers: no idle-memory variant %s\n", variant.c_str());
    return 2;
}

}  // namespace
}  // namespace corolla::bench

int main(int argc, char** argv) {
    using namespace corolla::bench;
    if (argc == 5 && std::strcmp(argv[1], idle_memory_child_flag) == 0)
        return idle_memory_child_main(argv[2], std::strtoull(argv[3], nullptr, 10),
                                      std::strtoull(argv[4], nullptr, 10));

    return run_benchmarks(argc, argv, "corolla_bench_fibers", COROLLA_BENCH_BUILD_TYPE, register_all,
                          built_peers({{have_boost_fiber, "boost_fiber"}}));
}
