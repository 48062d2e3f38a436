// Hand-written floors for the task benchmarks: bare C++20 coroutines (frames from the
// global allocator) resumed from a std::deque of handles, with no futures, names,
// cancellation or loop. They show what the coroutine machinery itself costs, so corolla's
// ratio to them is the price of its task model.
#include <algorithm>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <utility>
#include <vector>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

/// A fire-and-forget coroutine: created suspended, freed when its body ends.
struct raw_task {
    struct promise_type {
        raw_task get_return_object() noexcept {
            return raw_task{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
    std::coroutine_handle<promise_type> handle;
};

/// The least scheduler there is: a FIFO of handles, run until empty.
class ready_queue {
public:
    void push(std::coroutine_handle<> h) { q_.push_back(h); }
    void run() {
        while (!q_.empty()) {
            auto h = q_.front();
            q_.pop_front();
            h.resume();
        }
    }

private:
    std::deque<std::coroutine_handle<>> q_;
};

raw_task trivial(std::size_t& finished) {
    ++finished;
    co_return;
}

void floor_task_spawn(benchmark::State& state, std::size_t n) {
    ready_queue ready;
    std::size_t finished = 0;
    auto round = [&] {
        finished = 0;
        for (std::size_t i = 0; i < n; ++i)
            ready.push(trivial(finished).handle);
        ready.run();
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

/// A reusable one-shot wake-up: the floor of a future (no state object, no result).
struct baton {
    ready_queue* ready;
    std::coroutine_handle<> waiter{};
    bool set = false;

    void signal() {
        if (waiter)
            ready->push(std::exchange(waiter, {}));
        else
            set = true;
    }
    bool await_ready() noexcept { return std::exchange(set, false); }
    void await_suspend(std::coroutine_handle<> h) noexcept { waiter = h; }
    void await_resume() noexcept {}
};

raw_task player(baton& mine, baton& theirs, std::size_t hits, bool serves, std::size_t& finished) {
    if (serves) theirs.signal();
    for (std::size_t i = 0; i < hits; ++i) {
        co_await mine;
        if (!serves || i + 1 < hits) theirs.signal();
    }
    ++finished;
}

void floor_future_pingpong(benchmark::State& state, std::size_t rounds) {
    ready_queue ready;
    std::size_t finished = 0;
    auto round = [&] {
        baton to_a{&ready}, to_b{&ready};
        finished = 0;
        ready.push(player(to_a, to_b, rounds, true, finished).handle);
        ready.push(player(to_b, to_a, rounds, false, finished).handle);
        ready.run();
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

/// An awaitable whose value is already there: the floor of awaiting a done future.
struct ready_value {
    const int* value;
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    int await_resume() const noexcept {
        benchmark::DoNotOptimize(value);  // keeps the load inside the loop
        return *value;
    }
};

raw_task await_done(const int& value, std::size_t n, std::uint64_t& sum) {
    for (std::size_t i = 0; i < n; ++i)
        sum += static_cast<std::uint64_t>(co_await ready_value{&value});
}

void floor_await_ready_future(benchmark::State& state, std::size_t n) {
    ready_queue ready;
    const int one = 1;
    std::uint64_t sum = 0;
    auto round = [&] {
        sum = 0;
        ready.push(await_done(one, n, sum).handle);
        ready.run();
        return sum == n;
    };
    if (!round()) state.SkipWithError("wrong sum");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("wrong sum");
            break;
        }
    set_batch(state, n);
}

/// A minimal timer heap: (deadline, coroutine) pairs, earliest on top.
using timer_entry = std::pair<std::int64_t, std::coroutine_handle<>>;
using timer_heap = std::vector<timer_entry>;

struct park_until {
    timer_heap& heap;
    std::int64_t deadline;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        heap.emplace_back(deadline, h);
        std::push_heap(heap.begin(), heap.end(), std::greater<>{});
    }
    void await_resume() const noexcept {}
};

raw_task idle(timer_heap& heap, std::int64_t deadline) { co_await park_until{heap, deadline}; }

}  // namespace

void floor_idle_memory_child(std::size_t n) {
    timer_heap heap;
    const std::size_t before = resident_bytes();
    const double cpu0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t deadline =
        std::chrono::duration_cast<std::chrono::nanoseconds>((t0 + std::chrono::hours(1)).time_since_epoch()).count();
    for (std::size_t i = 0; i < n; ++i)
        idle(heap, deadline).handle.resume();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - cpu0;
    if (heap.size() != n) {
        std::fprintf(stderr, "floor idle tasks: %zu parked, expected %zu\n", heap.size(), n);
        std::exit(1);
    }
    exit_with_sample({wall, cpu, static_cast<double>(resident_bytes()) - static_cast<double>(before)});
}

void register_floor_tasks(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("task_spawn", "floor").c_str(), floor_task_spawn, sizes.task_count)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("future_pingpong", "floor").c_str(), floor_future_pingpong,
                                 sizes.pingpong_rounds)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("await_ready_future", "floor").c_str(), floor_await_ready_future,
                                 sizes.ready_awaits)
        ->Unit(benchmark::kMillisecond);
}

void register_floor_idle_memory(const bench_sizes& sizes) {
    register_idle_memory("floor", idle_memory_child_argv("floor", sizes.idle_tasks), sizes.idle_tasks);
}

}  // namespace corolla::bench
