// libuv peer of the cross-thread wake-up: two uv loops on two threads, each with a
// uv_async_t the other signals with uv_async_send (libuv's one thread-safe call), ping-
// ponging `rounds` times. Compiled only when libuv was found.
#include <atomic>
#include <thread>

#include <uv.h>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

struct uv_wake_state {
    uv_loop_t loop_a{};
    uv_loop_t loop_b{};
    uv_async_t async_a{};  ///< on loop_a, sent from the other thread
    uv_async_t async_b{};  ///< on loop_b, sent from the benchmark's thread
    std::size_t left = 0;
    std::size_t returned = 0;
    std::atomic<bool> quit{false};
};

void on_a(uv_async_t* h) {
    auto* s = static_cast<uv_wake_state*>(h->data);
    ++s->returned;
    if (s->left == 0) {
        ::uv_stop(&s->loop_a);
        return;
    }
    --s->left;
    ::uv_async_send(&s->async_b);
}

void on_b(uv_async_t* h) {
    auto* s = static_cast<uv_wake_state*>(h->data);
    if (s->quit.load(std::memory_order_acquire)) {
        ::uv_close(reinterpret_cast<uv_handle_t*>(&s->async_b), nullptr);
        return;
    }
    ::uv_async_send(&s->async_a);
}

void uv_wake(benchmark::State& state, std::size_t rounds) {
    uv_wake_state s;
    if (::uv_loop_init(&s.loop_a) != 0 || ::uv_loop_init(&s.loop_b) != 0 ||
        ::uv_async_init(&s.loop_a, &s.async_a, on_a) != 0 || ::uv_async_init(&s.loop_b, &s.async_b, on_b) != 0) {
        state.SkipWithError("uv set-up failed");
        return;
    }
    s.async_a.data = &s;
    s.async_b.data = &s;
    std::thread other([&s] { ::uv_run(&s.loop_b, UV_RUN_DEFAULT); });
    timed_rounds(state, rounds, "the ping-pong did not finish", [&] {
        s.left = rounds - 1;
        s.returned = 0;
        ::uv_async_send(&s.async_b);
        ::uv_run(&s.loop_a, UV_RUN_DEFAULT);
        return s.returned == rounds;
    });
    s.quit.store(true, std::memory_order_release);
    ::uv_async_send(&s.async_b);
    other.join();
    ::uv_close(reinterpret_cast<uv_handle_t*>(&s.async_a), nullptr);
    ::uv_run(&s.loop_a, UV_RUN_DEFAULT);
    ::uv_loop_close(&s.loop_a);
    ::uv_loop_close(&s.loop_b);
}

}  // namespace

void register_uv_wake(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("cross_thread_wake", "libuv").c_str(), uv_wake, sizes.wake_rounds)
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace corolla::bench
