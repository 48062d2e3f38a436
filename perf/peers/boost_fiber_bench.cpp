// Boost.Fiber peer for the fiber benchmarks, compiled only when Boost.Fiber of the same
// Boost as the fiber adapter's Boost.Context was found. Boost.Fiber runs on the thread
// that uses it with its default round_robin scheduler and default stacks
// (boost::context::default_stack: 128 KiB from malloc), as a program gets it. The
// scenarios mirror the corolla ones: two fibers calling boost::this_fiber::yield(), n
// fibers each constructed and joined, fibers parked in boost::this_fiber::sleep_for(1h).
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include <boost/fiber/all.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

namespace fibers = boost::fibers;

// The main fiber blocks in join(), so each yield switches straight to the other fiber.
void boost_fiber_switch(benchmark::State& state, std::size_t switches) {
    const std::size_t yields = switches / 2;
    std::size_t finished = 0;
    auto yielder = [&finished, yields] {
        for (std::size_t i = 0; i < yields; ++i)
            boost::this_fiber::yield();
        ++finished;
    };
    auto round = [&] {
        finished = 0;
        fibers::fiber a{yielder};
        fibers::fiber b{yielder};
        a.join();
        b.join();
        return finished == 2;
    };
    if (!round()) state.SkipWithError("the fibers did not finish");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the fibers did not finish");
            break;
        }
    set_batch(state, 2 * yields);
}

// `n` fibers, each constructed (its stack allocated, the fiber queued) and joined (the main
// fiber blocks, the new one runs to its end, main resumes): `fiber f(fn); f.join();`. One
// at a time is Boost.Fiber's fast case: its stacks are allocated at construction, so
// constructing all n before joining keeps n stacks alive (measured at 10-35 us per fiber
// and over 1 GB resident here), where corolla takes a fiber's stack when it first runs.
void boost_fiber_spawn(benchmark::State& state, std::size_t n) {
    std::size_t finished = 0;
    auto round = [&] {
        finished = 0;
        for (std::size_t i = 0; i < n; ++i) {
            fibers::fiber f{[&finished] { ++finished; }};
            f.join();
        }
        return finished == n;
    };
    if (!round()) state.SkipWithError("not every fiber ran");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("not every fiber ran");
            break;
        }
    set_batch(state, n);
}

}  // namespace

void boost_idle_fibers_child(std::size_t n) {
    std::size_t parked = 0;
    const std::size_t before = resident_bytes();
    const double cpu0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i)
        fibers::fiber{[&parked] {
            ++parked;
            boost::this_fiber::sleep_for(std::chrono::hours(1));
        }}.detach();
    boost::this_fiber::yield();  // queued behind every new fiber: each runs up to its sleep first
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - cpu0;
    if (parked != n) {
        std::fprintf(stderr, "boost.fiber idle fibers: %zu parked, expected %zu\n", parked, n);
        std::exit(1);
    }
    exit_with_sample({wall, cpu, static_cast<double>(resident_bytes()) - static_cast<double>(before)});
}

void register_boost_fibers(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("fiber_switch", "boost_fiber").c_str(), boost_fiber_switch,
                                 sizes.fiber_switches)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("fiber_spawn", "boost_fiber").c_str(), boost_fiber_spawn, sizes.fiber_count)
        ->Unit(benchmark::kMillisecond);
}

void register_boost_idle_fibers(const bench_sizes& sizes) {
    register_child_memory("idle_fiber_memory", "boost_fiber",
                          idle_memory_child_argv("boost_fiber", sizes.idle_fibers, {"0"}), sizes.idle_fibers, "fiber");
}

}  // namespace corolla::bench
