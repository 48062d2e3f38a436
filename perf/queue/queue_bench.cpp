// Queue throughput (part of corolla_bench_sync, see perf/sync/sync_bench.cpp): a producer
// task putting n ints into a corolla::queue<int> of maxsize 1 or 1024 and a consumer task
// getting them, time per item, with coroutine tasks and with fibers. Peers: Boost.Asio's
// experimental::channel (peers/asio_queue_bench.cpp), Boost.Fiber's buffered_channel
// (peers/boost_fiber_sync_bench.cpp) and asyncio.Queue (peers/asyncio_sync.py).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <corolla/queue/queue.hpp>

#include "support/bench_support.hpp"
#include "support/task_styles.hpp"

namespace corolla::bench {
namespace {

// With maxsize 1 every put after the first waits for the consumer's get, and every get
// waits for the next put: each item wakes both tasks once. With maxsize 1024 the producer
// fills the queue, waits, and the consumer drains it, so tasks switch about once per 1024
// items and the figure is mostly the put and get that complete at once.
struct producer_body {
    queue<int>* q;
    std::size_t n;
    coro<void> coroutine() {
        for (std::size_t i = 0; i < n; ++i)
            co_await q->put(static_cast<int>(i));
    }
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    void fiber() {
        for (std::size_t i = 0; i < n; ++i)
            corolla::await(q->put(static_cast<int>(i)));
    }
#endif
};

struct consumer_body {
    queue<int>* q;
    std::size_t n;
    std::uint64_t* sum;
    coro<void> coroutine() {
        for (std::size_t i = 0; i < n; ++i)
            *sum += static_cast<std::uint64_t>(co_await q->get());
    }
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    void fiber() {
        for (std::size_t i = 0; i < n; ++i)
            *sum += static_cast<std::uint64_t>(corolla::await(q->get()));
    }
#endif
};

template <class Style, std::size_t Maxsize>
void queue_throughput(benchmark::State& state, const std::string& backend, std::size_t n) {
    event_loop loop{options_for(backend)};
    queue<int> q(Maxsize);
    std::uint64_t sum = 0;
    const std::uint64_t expected = static_cast<std::uint64_t>(n) * (n - 1) / 2;
    timed_rounds(state, n, "the producer and consumer did not finish", [&] {
        sum = 0;
        auto p = Style::spawn(loop, producer_body{&q, n});
        auto c = Style::spawn(loop, consumer_body{&q, n, &sum});
        // Nothing calls task_done(), as in the peers: the unfinished count just grows.
        return drive(loop, 2 * n + 8, p, c) && sum == expected && q.empty();
    });
}

}  // namespace

void register_corolla_queues(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    register_styles("queue_throughput_1", backends, sizes.queue_items,
                    [](auto s) { return &queue_throughput<decltype(s), 1>; });
    register_styles("queue_throughput_1024", backends, sizes.queue_items,
                    [](auto s) { return &queue_throughput<decltype(s), 1024>; });
}

}  // namespace corolla::bench
