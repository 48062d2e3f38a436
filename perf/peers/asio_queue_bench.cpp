// Boost.Asio peer of the queue benchmarks (corolla_bench_sync), compiled only when Boost
// >= 1.81 headers were found: boost::asio::experimental::channel<void(error_code, int)>
// between a producer and a consumer on one io_context with concurrency hint 1, as in
// peers/asio_task_bench.cpp, written two ways:
//   asio            coroutines (co_spawn, co_await async_send/async_receive(use_awaitable)),
//                   the like of corolla's coroutine tasks and the form of the task peer;
//   asio_callbacks  plain completion handlers that start the next send or receive, the
//                   fastest way to use the channel (measured about 2.5x faster here).
// The channel's buffer size is the queue's maxsize: 1 and 1024 (a channel of size 0 would
// be a rendezvous, which no corolla queue is). A send or receive that completes at once
// still runs its completion through the io_context: Asio never completes an initiating
// function inline.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

namespace asio = boost::asio;
using int_channel = asio::experimental::channel<void(boost::system::error_code, int)>;

asio::awaitable<void> producer(int_channel& ch, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        co_await ch.async_send(boost::system::error_code{}, static_cast<int>(i), asio::use_awaitable);
}

asio::awaitable<void> consumer(int_channel& ch, std::size_t n, std::uint64_t& sum) {
    for (std::size_t i = 0; i < n; ++i)
        sum += static_cast<std::uint64_t>(co_await ch.async_receive(asio::use_awaitable));
}

void asio_coro_queue_throughput(benchmark::State& state, std::size_t capacity, std::size_t n) {
    asio::io_context io{1};
    int_channel ch(io, capacity);
    const std::uint64_t expected = static_cast<std::uint64_t>(n) * (n - 1) / 2;
    timed_rounds(state, n, "the producer and consumer did not finish", [&] {
        std::uint64_t sum = 0;
        int finished = 0;
        bool failed = false;
        auto done = [&](std::exception_ptr e) {
            ++finished;
            failed = failed || e != nullptr;
        };
        asio::co_spawn(io, producer(ch, n), done);
        asio::co_spawn(io, consumer(ch, n, sum), done);
        io.restart();
        io.run();
        return finished == 2 && !failed && sum == expected;
    });
}

// The callback form: each completion handler starts the next operation.
struct callback_producer {
    int_channel& ch;
    std::size_t n;
    std::size_t sent = 0;
    bool failed = false;
    void next() {
        if (sent == n) return;
        ch.async_send(boost::system::error_code{}, static_cast<int>(sent++), [this](boost::system::error_code ec) {
            failed = failed || ec;
            next();
        });
    }
};

struct callback_consumer {
    int_channel& ch;
    std::size_t n;
    std::size_t received = 0;
    std::uint64_t sum = 0;
    bool failed = false;
    void next() {
        if (received == n) return;
        ch.async_receive([this](boost::system::error_code ec, int v) {
            failed = failed || ec;
            sum += static_cast<std::uint64_t>(v);
            ++received;
            next();
        });
    }
};

void asio_callback_queue_throughput(benchmark::State& state, std::size_t capacity, std::size_t n) {
    asio::io_context io{1};
    int_channel ch(io, capacity);
    const std::uint64_t expected = static_cast<std::uint64_t>(n) * (n - 1) / 2;
    timed_rounds(state, n, "the producer and consumer did not finish", [&] {
        callback_producer producer{ch, n};
        callback_consumer consumer{ch, n};
        producer.next();
        consumer.next();
        io.restart();
        io.run();
        return producer.sent == n && consumer.received == n && !producer.failed && !consumer.failed &&
               consumer.sum == expected;
    });
}

}  // namespace

void register_asio_queues(const bench_sizes& sizes) {
    for (std::size_t capacity : {std::size_t{1}, std::size_t{1024}}) {
        const std::string scenario = "queue_throughput_" + std::to_string(capacity);
        benchmark::RegisterBenchmark(bench_name(scenario, "asio").c_str(), asio_coro_queue_throughput, capacity,
                                     sizes.queue_items)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(bench_name(scenario, "asio_callbacks").c_str(), asio_callback_queue_throughput,
                                     capacity, sizes.queue_items)
            ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace corolla::bench
