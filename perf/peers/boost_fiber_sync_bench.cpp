// Boost.Fiber peer of the sync and queue benchmarks (corolla_bench_sync), compiled only
// when Boost.Fiber of the same Boost as the fiber adapter's Boost.Context was found. It
// runs on the benchmark's thread with Boost.Fiber's default round_robin scheduler and
// default stacks; the main fiber joins the fibers doing the work. The scenarios:
//   lock_uncontended  boost::fibers::mutex lock()+unlock() in one fiber.
//   lock_handoff      two fibers passing a boost::fibers::mutex. Its unlock() does not hand
//                     the mutex over: it frees it and makes the first waiter ready, which
//                     takes it when it runs unless someone took it meanwhile. So each fiber
//                     holds it across a yield() (the other then waits in lock()) and yields
//                     after unlock() (the woken one runs before it can lock again): the
//                     shortest loop in which every lock() but the first waits and is woken
//                     by the other's unlock(). That is three switches per hand-off, where
//                     corolla's FIFO lock needs one.
//   event_set_resume  Boost.Fiber has no event; the usual one is a flag under a mutex with
//                     a condition_variable (set: flag + notify_all; wait: wait(pred)),
//                     played as corolla's event ping-pong.
//   queue_throughput  boost::fibers::buffered_channel<int> between a producer and a consumer
//                     fiber. Its capacity must be a power of two and it keeps one slot
//                     empty, so capacity 2 holds 1 item (as maxsize 1) and capacity 1024
//                     holds 1023 (for maxsize 1024).
#include <cstddef>
#include <cstdint>
#include <mutex>

#include <boost/fiber/all.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

namespace fibers = boost::fibers;

void boost_lock_uncontended(benchmark::State& state, std::size_t n) {
    fibers::mutex mu;
    timed_rounds(state, n, "the fiber did not finish", [&] {
        std::size_t done = 0;
        fibers::fiber f{[&] {
            for (std::size_t i = 0; i < n; ++i) {
                mu.lock();
                mu.unlock();
            }
            done = n;
        }};
        f.join();
        return done == n;
    });
}

void boost_lock_handoff(benchmark::State& state, std::size_t handoffs) {
    fibers::mutex mu;
    const std::size_t turns = handoffs / 2;
    std::size_t finished = 0;
    auto taker = [&] {
        for (std::size_t i = 0; i < turns; ++i) {
            mu.lock();
            boost::this_fiber::yield();
            mu.unlock();
            boost::this_fiber::yield();
        }
        ++finished;
    };
    // 2 * turns locks: the first finds the mutex free, every other one waits for it.
    timed_rounds(state, 2 * turns - 1, "the fibers did not finish", [&] {
        finished = 0;
        fibers::fiber a{taker};
        fibers::fiber b{taker};
        a.join();
        b.join();
        return finished == 2;
    });
}

class fiber_event {
public:
    void set() {
        {
            std::lock_guard<fibers::mutex> lk(mu_);
            flag_ = true;
        }
        cv_.notify_all();
    }
    void clear() {
        std::lock_guard<fibers::mutex> lk(mu_);
        flag_ = false;
    }
    void wait() {
        std::unique_lock<fibers::mutex> lk(mu_);
        cv_.wait(lk, [this] { return flag_; });
    }
    bool is_set() {
        std::lock_guard<fibers::mutex> lk(mu_);
        return flag_;
    }

private:
    fibers::mutex mu_;
    fibers::condition_variable cv_;
    bool flag_ = false;
};

void boost_event_set_resume(benchmark::State& state, std::size_t hops) {
    fiber_event to_a, to_b;
    const std::size_t hits = hops / 2;
    std::size_t finished = 0;
    auto player = [&](fiber_event& mine, fiber_event& theirs, bool serves) {
        if (serves) theirs.set();
        for (std::size_t i = 0; i < hits; ++i) {
            mine.wait();
            mine.clear();
            if (!serves || i + 1 < hits) theirs.set();
        }
        ++finished;
    };
    timed_rounds(state, 2 * hits, "the event ping-pong did not finish", [&] {
        finished = 0;
        fibers::fiber a{[&] { player(to_a, to_b, true); }};
        fibers::fiber b{[&] { player(to_b, to_a, false); }};
        a.join();
        b.join();
        to_a.clear();
        return finished == 2 && !to_b.is_set();
    });
}

void boost_queue_throughput(benchmark::State& state, std::size_t capacity, std::size_t n) {
    fibers::buffered_channel<int> ch(capacity);
    const std::uint64_t expected = static_cast<std::uint64_t>(n) * (n - 1) / 2;
    timed_rounds(state, n, "the producer and consumer did not finish", [&] {
        std::uint64_t sum = 0;
        bool ok = true;
        fibers::fiber producer{[&] {
            for (std::size_t i = 0; i < n; ++i)
                if (ch.push(static_cast<int>(i)) != fibers::channel_op_status::success) ok = false;
        }};
        fibers::fiber consumer{[&] {
            int v = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (ch.pop(v) != fibers::channel_op_status::success) ok = false;
                sum += static_cast<std::uint64_t>(v);
            }
        }};
        producer.join();
        consumer.join();
        return ok && sum == expected;
    });
}

}  // namespace

void register_boost_fiber_sync(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("lock_uncontended", "boost_fiber").c_str(), boost_lock_uncontended,
                                 sizes.lock_ops)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("lock_handoff", "boost_fiber").c_str(), boost_lock_handoff,
                                 sizes.lock_handoffs)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("event_set_resume", "boost_fiber").c_str(), boost_event_set_resume,
                                 sizes.event_hops)
        ->Unit(benchmark::kMillisecond);
    // buffered_channel capacity 2 holds 1 item, 1024 holds 1023 (one slot stays empty).
    benchmark::RegisterBenchmark(bench_name("queue_throughput_1", "boost_fiber").c_str(), boost_queue_throughput,
                                 std::size_t{2}, sizes.queue_items)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("queue_throughput_1024", "boost_fiber").c_str(), boost_queue_throughput,
                                 std::size_t{1024}, sizes.queue_items)
        ->Unit(benchmark::kMillisecond);
}

}  // namespace corolla::bench
