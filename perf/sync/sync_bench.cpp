// Sync and queue benchmarks (corolla_bench_sync): an uncontended lock acquire+release, a
// lock handed back and forth between two tasks, an event set waking its waiter, and a
// producer/consumer pair through a queue of maxsize 1 and 1024 (perf/queue/queue_bench.cpp).
// Every scenario runs on every compiled backend with coroutine tasks ("corolla:<backend>")
// and with fibers ("fiber:<backend>"): the same lock, event and queue objects serve both.
// Beside them: the floor of the waking scenarios, corolla's own future ping-pong counted
// per hop ("floor:<backend>", "floor:fiber:<backend>"), Boost.Fiber
// (peers/boost_fiber_sync_bench.cpp), Boost.Asio's experimental channel
// (peers/asio_queue_bench.cpp) and Python asyncio (peers/python_sync_bench.cpp).
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/sync/event.hpp>
#include <corolla/sync/lock.hpp>
#if defined(COROLLA_BENCH_HAVE_FIBERS)
#include <corolla/fiber/fiber.hpp>
#endif

#include "support/bench_main.hpp"
#include "support/bench_support.hpp"
#include "support/task_styles.hpp"

#ifndef COROLLA_BENCH_BUILD_TYPE
#define COROLLA_BENCH_BUILD_TYPE "unknown"
#endif

namespace corolla::bench {
namespace {

// --- lock_uncontended ------------------------------------------------------------------

// `n` acquire+release pairs in one task. Alone (lock_uncontended) nobody else wants the
// lock, so acquire() takes it at once and the task never suspends; in pairs
// (lock_handoff) every acquire waits for the other task's release.
struct acquire_release_body {
    lock* mu;
    std::size_t n;
    coro<void> coroutine() {
        for (std::size_t i = 0; i < n; ++i) {
            co_await mu->acquire();
            mu->release();
        }
    }
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    void fiber() {
        for (std::size_t i = 0; i < n; ++i) {
            corolla::await(mu->acquire());
            mu->release();
        }
    }
#endif
};

template <class Style>
void lock_uncontended(benchmark::State& state, const std::string& backend, std::size_t n) {
    event_loop loop{options_for(backend)};
    lock mu;
    timed_rounds(state, n, "the locking task did not finish in one step", [&] {
        auto t = Style::spawn(loop, acquire_release_body{&mu, n});
        return drive(loop, 3, t) && !mu.locked();
    });
}

// --- lock_handoff ----------------------------------------------------------------------

// Each of two tasks (acquire_release_body) takes the lock `turns` times and releases it at
// once. The round starts with the lock held until both wait for it; from then on the lock is
// FIFO, so every release() hands it straight to the other task, which resumes holding it,
// while the releasing task's next acquire() finds it held and waits: one hand-off per acquire.
template <class Style>
void lock_handoff(benchmark::State& state, const std::string& backend, std::size_t handoffs) {
    event_loop loop{options_for(backend)};
    lock mu;
    const std::size_t turns = handoffs / 2;
    timed_rounds(state, 2 * turns, "the hand-offs did not finish", [&] {
        if (!mu.try_acquire()) return false;
        auto a = Style::spawn(loop, acquire_release_body{&mu, turns});
        auto b = Style::spawn(loop, acquire_release_body{&mu, turns});
        loop.run_once(/*nowait=*/true);  // both start and line up behind the held lock
        if (mu.waiting() != 2) return false;
        mu.release();  // to a; every later release hands it to the other task
        return drive(loop, 2 * turns + 4, a, b) && !mu.locked();
    });
}

// --- event_set_resume ------------------------------------------------------------------

// An event ping-pong: each player waits on its own event, clears it and sets the other's.
// After the first hop every set() finds the other player waiting and wakes it; the server
// sets first and skips its last set, so each player wakes exactly `hits` times.
struct event_body {
    event* mine;
    event* theirs;
    std::size_t hits;
    bool serves;
    coro<void> coroutine() {
        if (serves) theirs->set();
        for (std::size_t i = 0; i < hits; ++i) {
            co_await mine->wait();
            mine->clear();
            if (!serves || i + 1 < hits) theirs->set();
        }
    }
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    void fiber() {
        if (serves) theirs->set();
        for (std::size_t i = 0; i < hits; ++i) {
            corolla::await(mine->wait());
            mine->clear();
            if (!serves || i + 1 < hits) theirs->set();
        }
    }
#endif
};

template <class Style>
void event_set_resume(benchmark::State& state, const std::string& backend, std::size_t hops) {
    event_loop loop{options_for(backend)};
    event to_a, to_b;
    const std::size_t hits = hops / 2;
    timed_rounds(state, 2 * hits, "the event ping-pong did not finish", [&] {
        auto a = Style::spawn(loop, event_body{&to_a, &to_b, hits, true});
        auto b = Style::spawn(loop, event_body{&to_b, &to_a, hits, false});
        const bool ok = drive(loop, 2 * hits + 4, a, b);
        to_a.clear();  // b's last set() finds a finished
        return ok && !to_b.is_set();
    });
}

// --- the floor: a future ping-pong, per hop --------------------------------------------

// perf/coro/task_bench.cpp's future_pingpong, counted per hop instead of per round trip:
// a hop is one task completing a future the other awaits and that task resuming, which is
// what a lock hand-off or an event set does with the waiter it wakes. Each player re-arms
// its future with a fresh one after waking (as an acquire makes a fresh waiter).
struct pingpong_body {
    event_loop* loop;
    future<void>* mine;
    future<void>* theirs;
    std::size_t hits;
    bool serves;
    coro<void> coroutine() {
        if (serves) theirs->set_result();
        for (std::size_t i = 0; i < hits; ++i) {
            co_await *mine;
            *mine = loop->create_future<void>();
            if (!serves || i + 1 < hits) theirs->set_result();
        }
    }
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    void fiber() {
        if (serves) theirs->set_result();
        for (std::size_t i = 0; i < hits; ++i) {
            corolla::await(*mine);
            *mine = loop->create_future<void>();
            if (!serves || i + 1 < hits) theirs->set_result();
        }
    }
#endif
};

template <class Style>
void future_pingpong_hops(benchmark::State& state, const std::string& backend, std::size_t hops) {
    event_loop loop{options_for(backend)};
    const std::size_t hits = hops / 2;
    timed_rounds(state, 2 * hits, "the ping-pong did not finish", [&] {
        future<void> to_a = loop.create_future<void>();
        future<void> to_b = loop.create_future<void>();
        auto a = Style::spawn(loop, pingpong_body{&loop, &to_a, &to_b, hits, true});
        auto b = Style::spawn(loop, pingpong_body{&loop, &to_b, &to_a, hits, false});
        return drive(loop, 2 * hits + 4, a, b);
    });
}

// Registration order is run order (unless --benchmark_enable_random_interleaving): per
// scenario every backend with coroutines, then with fibers, the floors, the peers.
void register_all(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    const auto pingpong = [](auto s) { return &future_pingpong_hops<decltype(s)>; };
    register_styles("lock_uncontended", backends, sizes.lock_ops,
                    [](auto s) { return &lock_uncontended<decltype(s)>; });
    register_styles("lock_handoff", backends, sizes.lock_handoffs, [](auto s) { return &lock_handoff<decltype(s)>; });
    register_styles("lock_handoff", backends, sizes.lock_handoffs, pingpong, /*floor=*/true);
    register_styles("event_set_resume", backends, sizes.event_hops,
                    [](auto s) { return &event_set_resume<decltype(s)>; });
    register_styles("event_set_resume", backends, sizes.event_hops, pingpong, /*floor=*/true);
    register_corolla_queues(backends, sizes);
#if defined(COROLLA_BENCH_HAVE_BOOST_FIBER)
    register_boost_fiber_sync(sizes);
#endif
#if defined(COROLLA_BENCH_HAVE_ASIO)
    register_asio_queues(sizes);
#endif
#if defined(COROLLA_BENCH_PYTHON)
    register_python_sync(sizes);
#endif
}

}  // namespace
}  // namespace corolla::bench

int main(int argc, char** argv) {
    using namespace corolla::bench;
    const char* styles =
#if defined(COROLLA_BENCH_HAVE_FIBERS)
        "coroutines,fibers";
#else
        "coroutines";
#endif
    return run_benchmarks(argc, argv, "corolla_bench_sync", COROLLA_BENCH_BUILD_TYPE, register_all,
                          built_peers({{have_asio, "asio"},
                                       {have_asio, "asio_callbacks"},
                                       {have_boost_fiber, "boost_fiber"},
                                       {have_python, "python_asyncio"}}),
                          {{"corolla_styles", styles}});
}
