// The sync and queue benchmarks run each scenario twice, as coroutine tasks and as fibers,
// from one body type per scenario: `coro<void> coroutine()` and `void fiber()` doing the same
// steps. These are the pieces they share (perf/sync, perf/queue).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/event_loop.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#if defined(COROLLA_BENCH_HAVE_FIBERS)
#include <corolla/fiber/fiber.hpp>
#endif

#include "support/bench_support.hpp"

namespace corolla::bench {

inline loop_options options_for(const std::string& backend) {
    loop_options options;
    options.backend = backend;
    return options;
}

/// Runs `loop` one iteration at a time until every task is done (at most `max_turns`);
/// true when all of them finished without an exception.
template <class... Task>
bool drive(event_loop& loop, std::size_t max_turns, const Task&... tasks) {
    for (std::size_t turns = 0; turns < max_turns && !(tasks.done() && ...); ++turns)
        loop.run_once(/*nowait=*/true);
    return ((tasks.done() && !tasks.exception()) && ...);
}

/// Keeps a body alive in the frame of the coroutine that runs its coroutine() (a member
/// coroutine refers to its object, and the body handed to spawn() is a temporary). The
/// inner coroutine runs inline and a task resumes it directly, so this adds nothing per
/// operation.
template <class Body>
coro<void> body_task(Body body) {
    co_await body.coroutine();
}

// The two execution styles, spelled once per scenario: a coroutine body run by
// create_task, and a plain function body run by spawn_fiber, doing the same steps.
struct coro_style {
    static constexpr const char* prefix = "corolla:";
    static constexpr bool fiber = false;
    template <class Body>
    static auto spawn(event_loop& loop, Body body) {
        return create_task(loop, body_task(std::move(body)));
    }
};
#if defined(COROLLA_BENCH_HAVE_FIBERS)
struct fiber_style {
    static constexpr const char* prefix = "fiber:";
    static constexpr bool fiber = true;
    template <class Body>
    static auto spawn(event_loop& loop, Body body) {
        return spawn_fiber(loop, [body]() mutable { body.fiber(); });
    }
};
#endif

/// Registers <scenario>/corolla:<backend> and, with fibers, <scenario>/fiber:<backend> (or,
/// with `floor`, <scenario>/floor:<backend> and <scenario>/floor:fiber:<backend>).
/// `pick(style)` returns the benchmark function of that style.
template <class Pick>
void register_styles(const char* scenario, const std::vector<std::string>& backends, std::size_t n, Pick pick,
                     bool floor = false) {
    auto add = [&](auto style) {
        using S = decltype(style);
        const std::string prefix = floor ? std::string("floor:") + (S::fiber ? "fiber:" : "") : S::prefix;
        for (const auto& b : backends)
            benchmark::RegisterBenchmark(bench_name(scenario, prefix + b).c_str(), pick(style), b, n)
                ->Unit(benchmark::kMillisecond);
    };
    add(coro_style{});
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    add(fiber_style{});
#endif
}

}  // namespace corolla::bench
