// The same sync and queue objects shared by fibers and coroutines at once: a fiber
// producer with a coroutine consumer, a lock contended by both kinds in FIFO order, a
// condition notified by a coroutine for a fiber, a semaphore permit cancelled across the
// two styles. Every backend.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/queue/queue.hpp>
#include <corolla/sync/sync.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using namespace std::chrono_literals;
using corolla::test::loop_fixture;

namespace {

corolla::coro<int> coro_consumer(corolla::queue<int>& q, int n) {
    int sum = 0;
    for (int i = 0; i < n; ++i)
        sum += co_await q.get();
    co_return sum;
}

void fiber_producer(corolla::queue<int>& q, int n) {
    for (int i = 1; i <= n; ++i)
        corolla::await(q.put(i));
}

corolla::coro<void> coro_locker(corolla::lock& mu, std::vector<std::string>& log, std::string name) {
    auto g = co_await mu.scoped();
    log.push_back(name);
    co_await corolla::sleep(1s);
}

void fiber_locker(corolla::lock& mu, std::vector<std::string>& log, std::string name) {
    auto g = corolla::await(mu.scoped());
    log.push_back(name);
    corolla::this_fiber::sleep(1s);
}

}  // namespace

COROLLA_BACKEND_TEST(fiber_producer_and_coroutine_consumer_share_a_bounded_queue) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::queue<int> q(3);
    auto consumer = corolla::create_task(loop, coro_consumer(q, 100));
    auto producer = corolla::spawn_fiber(loop, fiber_producer, std::ref(q), 100);
    BOOST_TEST(loop.run_until_complete(consumer) == 5050);
    loop.run_until_complete(producer);
    BOOST_TEST(q.empty());
}

COROLLA_BACKEND_TEST(a_lock_contended_by_fibers_and_coroutines_is_fifo) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    std::vector<std::string> log;
    std::vector<corolla::future<void>> ts;
    ts.push_back(corolla::create_task(loop, coro_locker(mu, log, "c1")));
    ts.push_back(corolla::spawn_fiber(loop, fiber_locker, std::ref(mu), std::ref(log), std::string("f1")));
    ts.push_back(corolla::create_task(loop, coro_locker(mu, log, "c2")));
    ts.push_back(corolla::spawn_fiber(loop, fiber_locker, std::ref(mu), std::ref(log), std::string("f2")));
    auto t0 = loop.time();
    loop.run_until_complete(corolla::gather(loop, ts));
    BOOST_TEST(log == (std::vector<std::string>{"c1", "f1", "c2", "f2"}));
    BOOST_TEST(std::chrono::duration<double>(loop.time() - t0).count() == 4.0);
}

COROLLA_BACKEND_TEST(a_coroutine_notifies_a_fiber_waiting_on_a_condition) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::condition cond;
    bool ready = false;
    bool seen = false;
    auto waiter = corolla::spawn_fiber(loop, [&] {
        auto g = corolla::await(cond.scoped());
        corolla::await(cond.wait_for([&] { return ready; }));
        seen = cond.locked();
    });
    auto notifier = [&]() -> corolla::coro<void> {
        co_await corolla::sleep(1s);
        auto g = co_await cond.scoped();
        ready = true;
        cond.notify_all();
    };
    auto n = corolla::create_task(loop, notifier());
    loop.run_until_complete(waiter);
    loop.run_until_complete(n);
    BOOST_TEST(seen);
    BOOST_TEST(!cond.locked());
}

COROLLA_BACKEND_TEST(a_fiber_cancelled_after_being_handed_a_permit_passes_it_to_a_coroutine) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::semaphore sem(1);
    std::vector<std::string> log;
    BOOST_TEST(sem.try_acquire());
    auto f = corolla::spawn_fiber(loop, [&] {
        try {
            corolla::await(sem.acquire());
        } catch (const corolla::cancelled_error&) {
            log.push_back("fiber cancelled");
            throw;
        }
        log.push_back("fiber");
        sem.release();
    });
    auto coro_waiter = [&]() -> corolla::coro<void> {
        co_await sem.acquire();
        log.push_back("coroutine");
        sem.release();
    };
    auto c = corolla::create_task(loop, coro_waiter());
    loop.run_until_complete(corolla::sleep(loop, 1ms));
    sem.release();  // handed to the fiber ...
    f.cancel();     // ... which is cancelled before it runs
    loop.run_until_complete(c);
    BOOST_TEST(f.cancelled());
    BOOST_TEST(log == (std::vector<std::string>{"fiber cancelled", "coroutine"}));
    BOOST_TEST(sem.value() == 1);
}
