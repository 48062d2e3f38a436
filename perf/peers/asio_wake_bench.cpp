// Boost.Asio peer of the cross-thread wake-up: two io_contexts on two threads (concurrency
// hint 1 each, as one loop per thread), ping-ponging a handler with asio::post from one to
// the other `rounds` times. Work guards keep both contexts waiting while the ball is on the
// other side; the benchmark's guard is dropped when the last handler returns, so its run()
// ends. Compiled only when Boost >= 1.81 headers were found.
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

namespace asio = boost::asio;

using work_guard = asio::executor_work_guard<asio::io_context::executor_type>;

struct asio_wake_state {
    asio::io_context a{1};
    asio::io_context b{1};
    std::optional<work_guard> keep_a;
    std::size_t left = 0;
    std::size_t returned = 0;

    void serve() {
        if (left == 0) {
            keep_a.reset();  // `a` runs out of work
            return;
        }
        --left;
        asio::post(b, [this] {
            asio::post(a, [this] {
                ++returned;
                serve();
            });
        });
    }
};

void asio_wake(benchmark::State& state, std::size_t rounds) {
    asio_wake_state s;
    std::optional<work_guard> keep_b{s.b.get_executor()};
    std::thread other([&s] { s.b.run(); });
    timed_rounds(state, rounds, "the ping-pong did not finish", [&] {
        s.left = rounds;
        s.returned = 0;
        s.a.restart();
        s.keep_a.emplace(s.a.get_executor());
        s.serve();
        s.a.run();
        return s.returned == rounds;
    });
    keep_b.reset();
    other.join();
}

}  // namespace

void register_asio_wake(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("cross_thread_wake", "asio").c_str(), asio_wake, sizes.wake_rounds)
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace corolla::bench
