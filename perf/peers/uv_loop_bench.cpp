// libuv peer for the loop benchmarks, compiled only when pkg-config finds libuv.
// Tick: uv_run(UV_RUN_NOWAIT) with one active uv_async_t, so the loop is alive and polls
// its epoll set holding the async wake-up fd (on an empty loop uv_run returns without
// polling at all, which would not be a loop iteration). Timers are uv_timer_t structs
// initialised once outside the measured region (libuv's most favourable case), and each
// timer scenario runs one untimed warm-up round first, as the corolla side does.
#include <memory>
#include <vector>

#include <uv.h>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

/// A uv loop closed (after closing its remaining handles) on scope exit.
class uv_loop {
public:
    uv_loop() { ok_ = ::uv_loop_init(&loop_) == 0; }
    ~uv_loop() {
        if (!ok_) return;
        close_handles();
        ::uv_loop_close(&loop_);
    }
    uv_loop(const uv_loop&) = delete;
    uv_loop& operator=(const uv_loop&) = delete;
    bool ok() const noexcept { return ok_; }
    uv_loop_t* get() noexcept { return &loop_; }

    /// Closes every handle and runs the close callbacks; handles owned by the caller
    /// must outlive this call.
    void close_handles() {
        ::uv_walk(
            &loop_,
            [](uv_handle_t* h, void*) {
                if (!::uv_is_closing(h)) ::uv_close(h, nullptr);
            },
            nullptr);
        ::uv_run(&loop_, UV_RUN_DEFAULT);
    }

private:
    uv_loop_t loop_{};
    bool ok_ = false;
};

void uv_loop_tick(benchmark::State& state) {
    uv_loop loop;
    uv_async_t async{};
    if (!loop.ok() || ::uv_async_init(loop.get(), &async, [](uv_async_t*) {}) != 0) {
        state.SkipWithError("uv loop set-up failed");
        return;
    }
    for (auto _ : state)
        ::uv_run(loop.get(), UV_RUN_NOWAIT);
    set_batch(state, 1);
}

// Start `count` timers with the shared delays, stop them all, then one NOWAIT iteration
// (corolla needs its iteration to purge; libuv's stop is eager, the turn is for symmetry).
void uv_timer_start_cancel(benchmark::State& state, std::size_t count) {
    uv_loop loop;
    const std::vector<std::uint64_t> delays = timer_delays_ms(count);
    auto timers = std::make_unique<uv_timer_t[]>(count);
    for (std::size_t i = 0; i < count; ++i)
        ::uv_timer_init(loop.get(), &timers[i]);
    std::size_t fired = 0;
    loop.get()->data = &fired;
    const uv_timer_cb on_fire = [](uv_timer_t* t) { ++*static_cast<std::size_t*>(t->loop->data); };
    auto start_stop = [&] {
        for (std::size_t i = 0; i < count; ++i)
            ::uv_timer_start(&timers[i], on_fire, delays[i], 0);
        for (std::size_t i = 0; i < count; ++i)
            ::uv_timer_stop(&timers[i]);
        ::uv_run(loop.get(), UV_RUN_NOWAIT);
    };
    start_stop();  // warm-up, as on the corolla side
    for (auto _ : state)
        start_stop();
    loop.close_handles();
    if (fired != 0) state.SkipWithError("a stopped timer fired");
    set_batch(state, count);
}

// Start `count` timers with timeout 0 and run the loop until they have all fired.
void uv_timer_fire(benchmark::State& state, std::size_t count) {
    uv_loop loop;
    auto timers = std::make_unique<uv_timer_t[]>(count);
    for (std::size_t i = 0; i < count; ++i)
        ::uv_timer_init(loop.get(), &timers[i]);
    std::size_t fired = 0;
    loop.get()->data = &fired;
    const uv_timer_cb on_fire = [](uv_timer_t* t) { ++*static_cast<std::size_t*>(t->loop->data); };
    auto start_fire = [&] {
        fired = 0;
        for (std::size_t i = 0; i < count; ++i)
            ::uv_timer_start(&timers[i], on_fire, 0, 0);
        ::uv_run(loop.get(), UV_RUN_DEFAULT);
        return fired == count;
    };
    if (!start_fire()) state.SkipWithError("uv_run returned before every timer fired");  // also the warm-up
    for (auto _ : state)
        if (!start_fire()) {
            state.SkipWithError("uv_run returned before every timer fired");
            break;
        }
    loop.close_handles();
    set_batch(state, count);
}

// libuv's own million-timers benchmark: uv_timer_init + uv_timer_start with the timeout
// growing by 1 ms every 1000 timers, then uv_run until all fired (init inside the pass, as
// there; the array is allocated outside).
void uv_timer_million(benchmark::State& state, std::size_t count) {
    uv_loop loop;
    auto timers = std::make_unique<uv_timer_t[]>(count);
    std::size_t fired = 0;
    loop.get()->data = &fired;
    const uv_timer_cb on_fire = [](uv_timer_t* t) { ++*static_cast<std::size_t*>(t->loop->data); };
    for (auto _ : state) {
        fired = 0;
        std::uint64_t timeout = 0;
        for (std::size_t i = 0; i < count; ++i) {
            if (i % 1000 == 0) ++timeout;
            ::uv_timer_init(loop.get(), &timers[i]);
            ::uv_timer_start(&timers[i], on_fire, timeout, 0);
        }
        ::uv_run(loop.get(), UV_RUN_DEFAULT);
        if (fired != count) {
            state.SkipWithError("uv_run returned before every timer fired");
            break;
        }
        state.PauseTiming();
        loop.close_handles();
        state.ResumeTiming();
    }
    set_batch(state, count);
}

}  // namespace

void register_uv_loop_tick() {
    benchmark::RegisterBenchmark(bench_name("loop_tick", "libuv").c_str(), uv_loop_tick)->Unit(benchmark::kNanosecond);
}

void register_uv_timer_start_cancel(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("timer_start_cancel", "libuv").c_str(), uv_timer_start_cancel,
                                 sizes.timer_count)
        ->Unit(benchmark::kMillisecond);
}

void register_uv_timer_million(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("timer_million", "libuv").c_str(), uv_timer_million, sizes.timer_count)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
}

void register_uv_timer_fire(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("timer_fire", "libuv").c_str(), uv_timer_fire, sizes.timer_count)
        ->Unit(benchmark::kMillisecond);
}

}  // namespace corolla::bench
