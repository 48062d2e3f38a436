// Event-loop microbenchmarks: an empty iteration (loop tick), call_soon throughput and
// timers (start+cancel and fire, 10^6 each, and libuv's million-timers pattern). Every scenario runs on every compiled
// backend in this one binary, next to the hand-written floor of the same mechanism
// (peers/floor_loop_bench.cpp) and libuv (peers/uv_loop_bench.cpp), so tools/compare can
// report ratios measured side by side. COROLLA_BENCH_SMOKE=1 shrinks the batches.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>

#include "support/bench_main.hpp"
#include "support/bench_support.hpp"

#ifndef COROLLA_BENCH_BUILD_TYPE
#define COROLLA_BENCH_BUILD_TYPE "unknown"
#endif

namespace corolla::bench {
namespace {

// Built member-wise: a designated initializer would trip GCC's -Wmissing-field-initializers
// on the members of loop_options that have no default member initializer.
loop_options options_for(const std::string& backend) {
    loop_options options;
    options.backend = backend;
    return options;
}

// One iteration with nothing to do: the fixed cost every loop turn pays (selector poll
// with a zero timeout, the clock read, the ready-queue and timer checks).
void corolla_loop_tick(benchmark::State& state, const std::string& backend) {
    event_loop loop{options_for(backend)};
    for (auto _ : state)
        loop.run_once(/*nowait=*/true);
    set_batch(state, 1);
}

// `batch` call_soon callbacks, then the one iteration that runs them all.
void corolla_call_soon(benchmark::State& state, const std::string& backend, std::size_t batch) {
    event_loop loop{options_for(backend)};
    std::size_t ran = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < batch; ++i)
            loop.call_soon([&ran] { ++ran; });
        loop.run_once(/*nowait=*/true);
    }
    if (ran != batch * static_cast<std::size_t>(state.iterations())) state.SkipWithError("not every callback ran");
    set_batch(state, batch);
}

// `count` timers started with call_later, all cancelled, then one iteration, inside which
// the loop purges the cancelled entries (lazy deletion); the handles are freed in the
// measured region too, as a caller dropping them would.
void corolla_timer_start_cancel(benchmark::State& state, const std::string& backend, std::size_t count) {
    event_loop loop{options_for(backend)};
    const std::vector<std::uint64_t> delays = timer_delays_ms(count);
    std::vector<timer_handle> handles;
    handles.reserve(count);
    std::size_t fired = 0;
    auto start_cancel = [&] {
        for (std::size_t i = 0; i < count; ++i)
            handles.push_back(loop.call_later(std::chrono::milliseconds(delays[i]), [&fired] { ++fired; }));
        for (auto& h : handles)
            h.cancel();
        loop.run_once(/*nowait=*/true);
        handles.clear();
    };
    start_cancel();  // warm-up: grows the heap and touches the memory once, as libuv's set-up does
    for (auto _ : state)
        start_cancel();
    if (fired != 0 || loop.stats().timers != 0) state.SkipWithError("a cancelled timer fired or stayed scheduled");
    set_batch(state, count);
}

// `count` timers that are already due (all at one deadline, as libuv's timeout 0), fired
// by running the loop until every callback ran. One untimed round first, as above.
void corolla_timer_fire(benchmark::State& state, const std::string& backend, std::size_t count) {
    event_loop loop{options_for(backend)};
    std::size_t fired = 0;
    auto start_fire = [&] {
        fired = 0;
        const time_point due = loop.time();
        for (std::size_t i = 0; i < count; ++i)
            loop.call_at(due, [&fired] { ++fired; });
        for (int turns = 0; turns < 3 && fired < count; ++turns)
            loop.run_once(/*nowait=*/true);
        return fired == count;
    };
    if (!start_fire()) state.SkipWithError("due timers did not fire within three iterations");  // also the warm-up
    for (auto _ : state)
        if (!start_fire()) {
            state.SkipWithError("due timers did not fire within three iterations");
            break;
        }
    set_batch(state, count);
}

// libuv's million-timers pattern (its benchmark-million-timers.c): `count` timers whose
// timeout grows by 1 ms every 1000 timers (so 10^6 span about 1 s), started, then the loop
// runs until every one has fired. One pass per run, no warm-up: the figure is CPU time per
// timer (the waiting in between costs none), the wall time is about the 1 s span.
void corolla_timer_million(benchmark::State& state, const std::string& backend, std::size_t count) {
    event_loop loop{options_for(backend)};
    std::size_t fired = 0;
    for (auto _ : state) {
        fired = 0;
        std::uint64_t timeout_ms = 0;
        for (std::size_t i = 0; i < count; ++i) {
            if (i % 1000 == 0) ++timeout_ms;
            loop.call_later(std::chrono::milliseconds(timeout_ms), [&fired] { ++fired; });
        }
        while (fired < count)
            loop.run_once();
    }
    if (loop.stats().timers != 0) state.SkipWithError("timers left after all fired");
    set_batch(state, count);
}

// Registration order is run order (unless --benchmark_enable_random_interleaving):
// per scenario each backend next to its floor, then the peers.
void register_all(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    for (const auto& b : backends) {
        benchmark::RegisterBenchmark(bench_name("loop_tick", "corolla:" + b).c_str(), corolla_loop_tick, b)
            ->Unit(benchmark::kNanosecond);
        register_floor_loop_tick(b);
    }
#if defined(COROLLA_BENCH_HAVE_LIBUV)
    register_uv_loop_tick();
#endif

    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("call_soon", "corolla:" + b).c_str(), corolla_call_soon, b,
                                     sizes.call_soon_batch)
            ->Unit(benchmark::kMicrosecond);
    register_floor_call_soon(sizes);

    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("timer_start_cancel", "corolla:" + b).c_str(),
                                     corolla_timer_start_cancel, b, sizes.timer_count)
            ->Unit(benchmark::kMillisecond);
#if defined(COROLLA_BENCH_HAVE_LIBUV)
    register_uv_timer_start_cancel(sizes);
#endif

    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("timer_fire", "corolla:" + b).c_str(), corolla_timer_fire, b,
                                     sizes.timer_count)
            ->Unit(benchmark::kMillisecond);
#if defined(COROLLA_BENCH_HAVE_LIBUV)
    register_uv_timer_fire(sizes);
#endif

    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("timer_million", "corolla:" + b).c_str(), corolla_timer_million, b,
                                     sizes.timer_count)
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
#if defined(COROLLA_BENCH_HAVE_LIBUV)
    register_uv_timer_million(sizes);
#endif
}

}  // namespace
}  // namespace corolla::bench

int main(int argc, char** argv) {
    using namespace corolla::bench;
    return run_benchmarks(argc, argv, "corolla_bench_loop", COROLLA_BENCH_BUILD_TYPE, register_all,
                          built_peers({{have_libuv, "libuv"}}));
}
