// Cross-thread wake-up: two event loops on two threads ping-pong a callback through
// call_soon_threadsafe, each hop waking a loop that is blocked in its selector. Time per
// round trip (two wake-ups), CPU time of the whole process (both threads). Every compiled
// backend runs in this one binary beside hand-written floors of two threads waking each
// other over eventfds (peers/floor_wake_bench.cpp), libuv's uv_async_send
// (peers/uv_wake_bench.cpp) and Boost.Asio posting across two io_contexts
// (peers/asio_wake_bench.cpp). COROLLA_BENCH_SMOKE=1 shrinks the rounds.
#include <algorithm>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
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

loop_options options_for(const std::string& backend) {
    loop_options options;
    options.backend = backend;
    return options;
}

/// Loop `a` runs on the benchmark's thread, loop `b` on its own thread (made there, run
/// there, stopped from a callback of its own). A round: a callback on `a` posts to `b`,
/// whose callback posts back to `a`, `rounds` times; `a` stops when the last one returns.
class wake_pair {
public:
    explicit wake_pair(const std::string& backend) : a_(options_for(backend)) {
        std::promise<event_loop*> made;
        auto got = made.get_future();
        thread_ = std::thread([&backend, &made] {
            event_loop b{options_for(backend)};
            made.set_value(&b);
            b.run_forever();
        });
        b_ = got.get();
    }
    ~wake_pair() {
        event_loop* b = b_;
        b->call_soon_threadsafe([b] { b->stop(); });
        thread_.join();
    }
    wake_pair(const wake_pair&) = delete;
    wake_pair& operator=(const wake_pair&) = delete;

    bool round(std::size_t rounds) {
        left_ = rounds;
        returned_ = 0;
        a_.call_soon([this] { serve(); });
        a_.run_forever();
        return returned_ == rounds;
    }

private:
    void serve() {
        if (left_ == 0) {
            a_.stop();
            return;
        }
        --left_;
        b_->call_soon_threadsafe([this] {
            a_.call_soon_threadsafe([this] {
                ++returned_;
                serve();
            });
        });
    }

    event_loop a_;
    event_loop* b_ = nullptr;
    std::thread thread_;
    std::size_t left_ = 0;
    std::size_t returned_ = 0;
};

void corolla_wake(benchmark::State& state, const std::string& backend, std::size_t rounds) {
    wake_pair pair{backend};
    timed_rounds(state, rounds, "the ping-pong did not finish", [&] { return pair.round(rounds); });
}

void register_all(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("cross_thread_wake", "corolla:" + b).c_str(), corolla_wake, b,
                                     sizes.wake_rounds)
            ->MeasureProcessCPUTime()
            ->Unit(benchmark::kMillisecond);
    register_floor_wake(sizes);
#if defined(COROLLA_BENCH_HAVE_LIBUV)
    register_uv_wake(sizes);
#endif
#if defined(COROLLA_BENCH_HAVE_ASIO)
    register_asio_wake(sizes);
#endif
}

}  // namespace
}  // namespace corolla::bench

int main(int argc, char** argv) {
    using namespace corolla::bench;
    return run_benchmarks(argc, argv, "corolla_bench_wake", COROLLA_BENCH_BUILD_TYPE, register_all,
                          built_peers({{have_libuv, "libuv"}, {have_asio, "asio"}}));
}
