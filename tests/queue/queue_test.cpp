// queue, lifo_queue, priority_queue: ordering, maxsize and back-pressure, the nowait
// errors, task_done / join, shutdown(immediate) as in asyncio 3.13, FIFO fairness and the
// cancellation-safety rules (a cancelled get never loses an item, a cancelled put never
// inserts one, wait_for(q.get()) leaves no getter behind). Both styles, every backend.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/queue/queue.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::test::loop_fixture;
namespace test = corolla::test;

namespace {

double seconds(corolla::event_loop& loop, corolla::time_point t0) {
    return std::chrono::duration<double>(loop.time() - t0).count();
}

TASK(void) produce(corolla::queue<int>& q, int from, int to, corolla::duration pause) {
    for (int i = from; i < to; ++i) {
        AWAIT(q.put(i));
        if (pause > corolla::duration::zero()) AWAIT(corolla::sleep(pause));
    }
    RETURN;
}

TASK(std::vector<int>) consume(corolla::queue<int>& q, int count, corolla::duration pause) {
    std::vector<int> got;
    for (int i = 0; i < count; ++i) {
        got.push_back(AWAIT(q.get()));
        q.task_done();
        if (pause > corolla::duration::zero()) AWAIT(corolla::sleep(pause));
    }
    RETURN got;
}

/// get() that logs the item, or its cancellation / the shutdown.
TASK(void) get_and_log(corolla::queue<int>& q, std::vector<std::string>& log, std::string name) {
    try {
        int v = AWAIT(q.get());
        log.push_back(name + " got " + std::to_string(v));
    } catch (const corolla::cancelled_error&) {
        log.push_back(name + " cancelled");
        throw;
    } catch (const corolla::queue_shut_down&) {
        log.push_back(name + " shut down");
    }
    RETURN;
}

TASK(void) put_and_log(corolla::queue<int>& q, std::vector<std::string>& log, std::string name, int v) {
    try {
        AWAIT(q.put(v));
        log.push_back(name + " put " + std::to_string(v));
    } catch (const corolla::cancelled_error&) {
        log.push_back(name + " cancelled");
        throw;
    } catch (const corolla::queue_shut_down&) {
        log.push_back(name + " shut down");
    }
    RETURN;
}

}  // namespace

COROLLA_BACKEND_TEST(queue_producer_consumer_keeps_order_with_back_pressure) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q(2);
    auto t0 = loop.time();
    auto p = test::spawn(loop, produce, std::ref(q), 0, 6, corolla::duration::zero());
    auto c = test::spawn(loop, consume, std::ref(q), 6, corolla::duration(1s));
    loop.run_until_complete(p);
    // The producer could run at most maxsize items ahead of the consumer.
    BOOST_TEST(seconds(loop, t0) >= 3.0);
    auto got = loop.run_until_complete(c);
    BOOST_TEST(got == (std::vector<int>{0, 1, 2, 3, 4, 5}));
    BOOST_TEST(q.empty());
    BOOST_TEST(q.unfinished_tasks() == 0u);
}

COROLLA_BACKEND_TEST(queue_nowait_errors_and_size_queries) {
    loop_fixture fx(backend);
    corolla::queue<std::unique_ptr<int>> q(1);
    BOOST_TEST(q.maxsize() == 1u);
    BOOST_TEST(q.empty());
    BOOST_TEST(!q.full());
    BOOST_CHECK_THROW(q.get_nowait(), corolla::queue_empty);
    q.put_nowait(std::make_unique<int>(1));
    BOOST_TEST(q.full());
    BOOST_TEST(q.qsize() == 1u);
    auto keep = std::make_unique<int>(2);
    BOOST_CHECK_THROW(q.put_nowait(std::move(keep)), corolla::queue_full);
    BOOST_REQUIRE(keep);  // a refused put moves nothing from the caller's item
    BOOST_TEST(*keep == 2);
    BOOST_TEST(*q.get_nowait() == 1);
    corolla::queue<int> unbounded;
    for (int i = 0; i < 1000; ++i)
        unbounded.put_nowait(i);
    BOOST_TEST(!unbounded.full());
    BOOST_TEST(unbounded.qsize() == 1000u);
}

COROLLA_BACKEND_TEST(lifo_and_priority_queues_order_items) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lifo_queue<int> lifo;
    corolla::priority_queue<std::pair<int, std::string>> prio;
    auto by_length = [](const std::string& a, const std::string& b) { return a.size() < b.size(); };
    corolla::priority_queue<std::string, decltype(by_length)> custom(0, by_length);
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        for (int i = 1; i <= 3; ++i)
            AWAIT(lifo.put(i));
        std::vector<int> l;
        for (int i = 0; i < 3; ++i)
            l.push_back(AWAIT(lifo.get()));
        BOOST_TEST(l == (std::vector<int>{3, 2, 1}));
        // The seeds' work items: (priority, name), lowest number first.
        prio.put_nowait(std::pair<int, std::string>{5, "low"});
        prio.put_nowait(std::pair<int, std::string>{1, "urgent"});
        prio.put_nowait(std::pair<int, std::string>{3, "normal"});
        std::vector<std::string> p;
        for (int i = 0; i < 3; ++i) {
            auto item = AWAIT(prio.get());
            p.push_back(item.second);
        }
        BOOST_TEST(p == (std::vector<std::string>{"urgent", "normal", "low"}));
        for (std::string s : {"ccc", "a", "bb"})
            custom.put_nowait(s);
        std::vector<std::string> c;
        for (int i = 0; i < 3; ++i)
            c.push_back(AWAIT(custom.get()));
        BOOST_TEST(c == (std::vector<std::string>{"a", "bb", "ccc"}));
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(queue_join_waits_for_task_done_of_every_item) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q;
    auto t0 = loop.time();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(q.join());  // nothing put: at once
        BOOST_TEST(seconds(loop, t0) == 0.0);
        for (int i = 0; i < 3; ++i)
            q.put_nowait(i);
        auto worker = test::spawn(loop, consume, std::ref(q), 3, corolla::duration(1s));
        AWAIT(q.join());
        BOOST_TEST(seconds(loop, t0) == 2.0);  // the last task_done comes before its pause
        BOOST_TEST(q.unfinished_tasks() == 0u);
        AWAIT(worker);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_CHECK_THROW(q.task_done(), corolla::value_error);
}

COROLLA_BACKEND_TEST(queue_getters_are_served_in_fifo_order_and_nowait_cannot_barge) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto a = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("a"));
        auto b = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("b"));
        AWAIT(corolla::sleep(0s));
        q.put_nowait(1);
        BOOST_CHECK_THROW(q.get_nowait(), corolla::queue_empty);  // reserved for a
        q.put_nowait(2);
        std::vector<corolla::future<void>> both{a, b};
        AWAIT(corolla::wait(loop, both));
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"a got 1", "b got 2"}));
}

COROLLA_BACKEND_TEST(queue_cancelled_get_never_loses_an_item) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        // Woken with an item, then cancelled in the same iteration: the item stays.
        auto a = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("a"));
        AWAIT(corolla::sleep(0s));
        q.put_nowait(1);
        a.cancel();
        AWAIT(corolla::wait(loop, std::vector<corolla::future<void>>(1, a)));
        BOOST_TEST(q.qsize() == 1u);
        BOOST_TEST(q.get_nowait() == 1);
        // With a second getter in line, the item goes to it.
        auto b = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("b"));
        auto c = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("c"));
        AWAIT(corolla::sleep(0s));
        q.put_nowait(2);
        b.cancel();
        std::vector<corolla::future<void>> both{b, c};
        AWAIT(corolla::wait(loop, both));
        BOOST_TEST(q.empty());
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"a cancelled", "b cancelled", "c got 2"}));
}

COROLLA_BACKEND_TEST(queue_cancelled_put_never_inserts_an_item) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q(1);
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        q.put_nowait(0);
        // Cancelled while waiting for room.
        auto p1 = test::spawn(loop, put_and_log, std::ref(q), std::ref(log), std::string("p1"), 1);
        AWAIT(corolla::sleep(0s));
        p1.cancel();
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(q.get_nowait() == 0);
        BOOST_TEST(q.empty());
        q.put_nowait(0);
        // Cancelled after a slot was reserved for it: the slot goes to p3, p2 inserts nothing.
        auto p2 = test::spawn(loop, put_and_log, std::ref(q), std::ref(log), std::string("p2"), 2);
        auto p3 = test::spawn(loop, put_and_log, std::ref(q), std::ref(log), std::string("p3"), 3);
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(q.get_nowait() == 0);
        p2.cancel();
        std::vector<corolla::future<void>> both{p2, p3};
        AWAIT(corolla::wait(loop, both));
        BOOST_TEST(q.qsize() == 1u);
        BOOST_TEST(q.get_nowait() == 3);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"p1 cancelled", "p2 cancelled", "p3 put 3"}));
}

COROLLA_BACKEND_TEST(queue_wait_for_get_times_out_and_leaves_no_getter_behind) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q;
    auto t0 = loop.time();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        bool timed_out = false;
        try {
            AWAIT(corolla::wait_for(q.get(), 1s));
        } catch (const corolla::timeout_error&) {
            timed_out = true;
        }
        BOOST_TEST(timed_out);
        BOOST_TEST(seconds(loop, t0) == 1.0);
        q.put_nowait(7);  // no stale getter may reserve it
        BOOST_TEST(q.get_nowait() == 7);
        // And one that succeeds in time.
        auto later = [&]() -> TASK(void) {
            AWAIT(corolla::sleep(1s));
            q.put_nowait(8);
            RETURN;
        };
        auto p = test::spawn(loop, later);
        int v = AWAIT(corolla::wait_for(q.get(), 5s));
        BOOST_TEST(v == 8);
        AWAIT(p);
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(queue_shutdown_fails_putters_and_getters_but_keeps_items) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q(1);
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        q.put_nowait(1);
        auto p = test::spawn(loop, put_and_log, std::ref(q), std::ref(log), std::string("p"), 2);
        AWAIT(corolla::sleep(0s));
        q.shutdown();
        BOOST_TEST(q.is_shut_down());
        AWAIT(p);
        BOOST_CHECK_THROW(q.put_nowait(3), corolla::queue_shut_down);
        // The remaining item is still there; then get raises.
        int v = AWAIT(q.get());
        BOOST_TEST(v == 1);
        auto g = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("g"));
        AWAIT(g);
        BOOST_CHECK_THROW(q.get_nowait(), corolla::queue_shut_down);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"p shut down", "g shut down"}));
}

COROLLA_BACKEND_TEST(queue_shutdown_wakes_blocked_getters_and_immediate_releases_join) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q;
    corolla::queue<int> full;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto g = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("g"));
        AWAIT(corolla::sleep(0s));
        q.shutdown();
        AWAIT(g);
        for (int i = 0; i < 3; ++i)
            full.put_nowait(i);
        auto joiner = [&]() -> TASK(void) {
            AWAIT(full.join());
            log.push_back("joined");
            RETURN;
        };
        auto j = test::spawn(loop, joiner);
        AWAIT(corolla::sleep(1s));
        BOOST_TEST(!j.done());
        full.shutdown(true);  // discards the items and their unfinished count
        AWAIT(j);
        BOOST_TEST(full.empty());
        BOOST_TEST(full.unfinished_tasks() == 0u);
        BOOST_CHECK_THROW(full.get_nowait(), corolla::queue_shut_down);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"g shut down", "joined"}));
}

COROLLA_BACKEND_TEST(queue_immediate_shutdown_with_a_reserved_item_fails_the_woken_getter) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto g = test::spawn(loop, get_and_log, std::ref(q), std::ref(log), std::string("g"));
        AWAIT(corolla::sleep(0s));
        q.put_nowait(1);   // reserved for g ...
        q.shutdown(true);  // ... and discarded before g runs
        AWAIT(g);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"g shut down"}));
}
