// Boost.Asio peer for the task benchmarks (C++20 awaitable coroutines), compiled only when
// Boost >= 1.81 headers were found. Each scenario uses one io_context with concurrency
// hint 1 (run from one thread, like a corolla loop; BOOST_ASIO_CONCURRENCY_HINT_UNSAFE
// measured no faster) and mirrors the corolla version: co_spawn(detached) + run() to
// spawn, a parked completion handler for the ping-pong, co_await post(use_awaitable) for
// the already-done await, steady_timer waits for idle memory.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

namespace asio = boost::asio;

asio::awaitable<void> trivial(std::size_t& finished) {
    ++finished;
    co_return;
}

void asio_task_spawn(benchmark::State& state, std::size_t n) {
    asio::io_context io{1};
    std::size_t finished = 0;
    auto round = [&] {
        finished = 0;
        for (std::size_t i = 0; i < n; ++i)
            asio::co_spawn(io, trivial(finished), asio::detached);
        io.restart();
        io.run();
        return finished == n;
    };
    if (!round()) state.SkipWithError("not every coroutine ran");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("not every coroutine ran");
            break;
        }
    set_batch(state, n);
}

// The ping-pong needs one coroutine to wake another. Asio has no future a coroutine can
// await, so the closest equivalent is what Asio's own operations do: the waiting coroutine
// parks its completion handler (async_initiate + any_completion_handler, one allocation
// from Asio's recycling allocator, like corolla's pooled future), and the other side
// completes it by posting it to the io_context. co_await post(use_awaitable) alone would
// only reschedule the coroutine itself (a yield, not a hand-off); a steady_timer cancelled
// as an event would add timer-queue work; experimental channels are not a stable API.
class asio_baton {
public:
    explicit asio_baton(asio::io_context& io) : io_(io) {}

    void signal() {
        if (waiter_) {
            asio::any_completion_handler<void()> h(std::move(*waiter_));
            waiter_.reset();
            asio::post(io_, std::move(h));
        } else {
            set_ = true;
        }
    }

    asio::awaitable<void> wait() {
        if (std::exchange(set_, false)) co_return;
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
            [this](asio::any_completion_handler<void()> handler) { waiter_.emplace(std::move(handler)); },
            asio::use_awaitable);
    }

private:
    asio::io_context& io_;
    // optional: Boost 1.81's move assignment of any_completion_handler recurses forever.
    std::optional<asio::any_completion_handler<void()>> waiter_;
    bool set_ = false;
};

asio::awaitable<void> player(asio_baton& mine, asio_baton& theirs, std::size_t hits, bool serves,
                             std::size_t& finished) {
    if (serves) theirs.signal();
    for (std::size_t i = 0; i < hits; ++i) {
        co_await mine.wait();
        if (!serves || i + 1 < hits) theirs.signal();
    }
    ++finished;
}

void asio_future_pingpong(benchmark::State& state, std::size_t rounds) {
    asio::io_context io{1};
    std::size_t finished = 0;
    auto round = [&] {
        asio_baton to_a{io}, to_b{io};
        finished = 0;
        asio::co_spawn(io, player(to_a, to_b, rounds, true, finished), asio::detached);
        asio::co_spawn(io, player(to_b, to_a, rounds, false, finished), asio::detached);
        io.restart();
        io.run();
        return finished == 2;
    };
    if (!round()) state.SkipWithError("the ping-pong did not finish");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the ping-pong did not finish");
            break;
        }
    set_batch(state, rounds);
}

// Asio has no already-done future to await; as the issue specifies, the peer is a
// co_await of post(use_awaitable), the cheapest Asio operation that goes through the
// io_context and comes back.
asio::awaitable<void> await_posts(std::size_t n, std::size_t& done) {
    auto ex = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < n; ++i) {
        co_await asio::post(ex, asio::use_awaitable);
        ++done;
    }
}

void asio_await_post(benchmark::State& state, std::size_t n) {
    asio::io_context io{1};
    std::size_t done = 0;
    auto round = [&] {
        done = 0;
        asio::co_spawn(io, await_posts(n, done), asio::detached);
        io.restart();
        io.run();
        return done == n;
    };
    if (!round()) state.SkipWithError("not every post completed");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("not every post completed");
            break;
        }
    set_batch(state, n);
}

asio::awaitable<void> idle(std::size_t& parked) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::hours(1));
    ++parked;
    co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

void asio_idle_memory_child(std::size_t n) {
    asio::io_context io{1};
    std::size_t parked = 0;
    const std::size_t before = resident_bytes();
    const double cpu0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i)
        asio::co_spawn(io, idle(parked), asio::detached);
    io.poll();  // runs every coroutine up to its timer wait; returns once none is ready
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - cpu0;
    if (parked != n) {
        std::fprintf(stderr, "asio idle tasks: %zu parked, expected %zu\n", parked, n);
        std::exit(1);
    }
    exit_with_sample({wall, cpu, static_cast<double>(resident_bytes()) - static_cast<double>(before)});
}

void register_asio_tasks(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("task_spawn", "asio").c_str(), asio_task_spawn, sizes.task_count)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("future_pingpong", "asio").c_str(), asio_future_pingpong,
                                 sizes.pingpong_rounds)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("await_ready_future", "asio").c_str(), asio_await_post, sizes.ready_awaits)
        ->Unit(benchmark::kMillisecond);
}

void register_asio_idle_memory(const bench_sizes& sizes) {
    register_idle_memory("asio", idle_memory_child_argv("asio", sizes.idle_tasks), sizes.idle_tasks);
}

}  // namespace corolla::bench
