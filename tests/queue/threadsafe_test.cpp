// Feeding a loop's queue from foreign threads with put_threadsafe: back-pressure through
// the concurrent_future, no item lost or reordered per producer, cancellation of a put
// still waiting for room, and a closed loop refusing at once. Runs under TSan.
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include <corolla/core/errors.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/queue/queue.hpp>
#include <corolla/queue/threadsafe.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::test::clock_kind;
using corolla::test::loop_fixture;
namespace test = corolla::test;

COROLLA_BACKEND_TEST(foreign_threads_feed_a_bounded_queue_without_loss_or_reordering) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    corolla::queue<int> q(8);
    constexpr int per_producer = 2000;
    constexpr int producers = 2;
    auto consumer = [&]() -> TASK(std::vector<std::vector<int>>) {
        std::vector<std::vector<int>> seen(producers);
        for (int i = 0; i < per_producer * producers; ++i) {
            int v = AWAIT(q.get());
            seen[v / per_producer].push_back(v % per_producer);
        }
        RETURN seen;
    };
    auto c = test::spawn(loop, consumer);
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&, p] {
            for (int i = 0; i < per_producer; ++i)
                corolla::put_threadsafe(loop, q, p * per_producer + i).result();  // blocks while full
        });
    auto seen = loop.run_until_complete(c);
    for (auto& t : threads)
        t.join();
    for (int p = 0; p < producers; ++p) {
        BOOST_REQUIRE(seen[p].size() == std::size_t(per_producer));
        for (int i = 0; i < per_producer; ++i)
            BOOST_REQUIRE(seen[p][i] == i);
    }
    BOOST_TEST(q.empty());
}

COROLLA_BACKEND_TEST(a_cancelled_threadsafe_put_inserts_nothing) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    corolla::queue<int> q(1);
    q.put_nowait(1);
    std::atomic<bool> cancelled{false};
    auto f = corolla::put_threadsafe(loop, q, 2);  // waits for room on the loop
    std::thread other([&] {
        std::this_thread::sleep_for(20ms);
        cancelled = f.cancel();
    });
    auto main = [&]() -> TASK(void) {
        while (!f.done())
            AWAIT(corolla::sleep(1ms));
        AWAIT(corolla::sleep(10ms));  // let the loop withdraw the put
        RETURN;
    };
    loop.run_until_complete(test::spawn(loop, main));
    other.join();
    BOOST_TEST(cancelled.load());
    BOOST_TEST(f.cancelled());
    BOOST_TEST(q.qsize() == 1u);
    BOOST_TEST(q.get_nowait() == 1);
    BOOST_TEST(q.empty());
}

COROLLA_BACKEND_TEST(put_threadsafe_on_a_closed_loop_is_refused) {
    loop_fixture fx(backend);
    corolla::queue<int> q;
    std::optional<corolla::event_loop> loop;
    loop.emplace(corolla::loop_options{.backend = backend});
    loop->close();
    BOOST_CHECK_THROW(corolla::put_threadsafe(*loop, q, 1), corolla::loop_closed_error);
}
