// condition: notify(n) / notify_all, wait_for(predicate), the lock held across every
// exit of a wait (cancellation included), notifications passed on by cancelled waiters,
// misuse errors. Both styles, every backend, virtual clock.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/sync/condition.hpp>

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

/// Waits for one notify under the lock and logs it (or its cancellation, lock held).
TASK(void) wait_once(corolla::condition& cond, std::vector<std::string>& log, std::string name) {
    auto g = AWAIT(cond.scoped());
    try {
        AWAIT(cond.wait());
    } catch (const corolla::cancelled_error&) {
        log.push_back(name + " cancelled, locked=" + (cond.locked() ? "yes" : "no"));
        throw;
    }
    log.push_back(name);
    RETURN;
}

}  // namespace

COROLLA_BACKEND_TEST(condition_notify_n_wakes_that_many_in_fifo_order) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::condition cond;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        std::vector<corolla::task<void>> ws;
        for (std::string name : {"a", "b", "c", "d"})
            ws.push_back(test::spawn(loop, wait_once, std::ref(cond), std::ref(log), name));
        AWAIT(corolla::sleep(1s));
        BOOST_TEST(cond.waiting() == 4u);
        {
            auto g = AWAIT(cond.scoped());
            cond.notify(2);
        }
        AWAIT(corolla::sleep(1s));
        BOOST_TEST(log == (std::vector<std::string>{"a", "b"}));
        {
            auto g = AWAIT(cond.scoped());
            cond.notify_all();
        }
        std::vector<corolla::future<void>> all(ws.begin(), ws.end());
        AWAIT(corolla::gather(loop, all));
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"a", "b", "c", "d"}));
    BOOST_TEST(!cond.locked());
}

COROLLA_BACKEND_TEST(condition_wait_for_predicate_returns_when_true_with_the_lock_held) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::condition cond;
    std::vector<int> items;
    std::vector<int> got;
    int evaluations = 0;
    auto consumer = [&]() -> TASK(void) {
        auto g = AWAIT(cond.scoped());
        bool ok = AWAIT(cond.wait_for([&] {
            ++evaluations;
            return items.size() >= 3;
        }));
        BOOST_TEST(ok);
        BOOST_TEST(cond.locked());
        got = items;
        RETURN;
    };
    auto producer = [&]() -> TASK(void) {
        for (int i = 1; i <= 3; ++i) {
            AWAIT(corolla::sleep(1s));
            auto g = AWAIT(cond.scoped());
            items.push_back(i);
            cond.notify();
        }
        RETURN;
    };
    auto t0 = loop.time();
    std::vector<corolla::future<void>> ts{test::spawn(loop, consumer), test::spawn(loop, producer)};
    loop.run_until_complete(corolla::gather(loop, ts));
    BOOST_TEST(got == (std::vector<int>{1, 2, 3}));
    BOOST_TEST(seconds(loop, t0) == 3.0);
    BOOST_TEST(evaluations == 4);  // once at the start, once per notify
    // Already true: no wait at all.
    auto quick = [&]() -> TASK(void) {
        auto g = AWAIT(cond.scoped());
        bool ok = AWAIT(cond.wait_for([&] { return !items.empty(); }));
        BOOST_TEST(ok);
        RETURN;
    };
    loop.run_until_complete(test::spawn(loop, quick));
}

COROLLA_BACKEND_TEST(condition_wait_for_predicate_exception_is_thrown_with_the_lock_held) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::condition cond;
    int calls = 0;
    bool caught = false;
    auto waiter = [&]() -> TASK(void) {
        auto g = AWAIT(cond.scoped());
        try {
            AWAIT(cond.wait_for([&]() -> bool {
                if (++calls == 2) throw std::runtime_error("predicate");
                return false;
            }));
        } catch (const std::runtime_error&) {
            caught = true;
            BOOST_TEST(cond.locked());
        }
        RETURN;
    };
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto w = test::spawn(loop, waiter);
        AWAIT(corolla::sleep(1s));
        {
            auto g = AWAIT(cond.scoped());
            cond.notify();
        }
        AWAIT(w);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(caught);
    BOOST_TEST(!cond.locked());
}

COROLLA_BACKEND_TEST(condition_cancelled_wait_reacquires_the_lock_before_the_cancel_propagates) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::condition cond;
    std::vector<std::string> log;
    auto t0 = loop.time();
    double cancelled_at = -1;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto w = test::spawn(loop, wait_once, std::ref(cond), std::ref(log), std::string("w"));
        AWAIT(corolla::sleep(1s));
        AWAIT(cond.acquire());  // held by main while w is cancelled
        w.cancel();
        AWAIT(corolla::sleep(2s));
        BOOST_TEST(log.empty());  // w cannot finish cancelling without the lock
        cond.release();
        try {
            AWAIT(w);
        } catch (const corolla::cancelled_error&) {
            cancelled_at = seconds(loop, t0);
        }
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"w cancelled, locked=yes"}));
    BOOST_TEST(cancelled_at == 3.0);
    BOOST_TEST(!cond.locked());
}

COROLLA_BACKEND_TEST(condition_waiter_cancelled_after_notify_passes_the_notification_on) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::condition cond;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto a = test::spawn(loop, wait_once, std::ref(cond), std::ref(log), std::string("a"));
        auto b = test::spawn(loop, wait_once, std::ref(cond), std::ref(log), std::string("b"));
        AWAIT(corolla::sleep(1s));
        {
            auto g = AWAIT(cond.scoped());
            cond.notify(1);  // a is notified ...
            a.cancel();      // ... and cancelled before it runs: b gets the notification
        }
        std::vector<corolla::future<void>> both{a, b};
        AWAIT(corolla::wait(loop, both, corolla::return_when::all_completed, 10s));
        BOOST_TEST(a.cancelled());
        BOOST_TEST(b.done());
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"a cancelled, locked=yes", "b"}));
}

COROLLA_BACKEND_TEST(condition_misuse_without_the_lock_is_an_invalid_state_error) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::condition cond;
    BOOST_CHECK_THROW(cond.notify(), corolla::invalid_state_error);
    BOOST_CHECK_THROW(cond.notify_all(), corolla::invalid_state_error);
    BOOST_CHECK_THROW(cond.release(), corolla::invalid_state_error);
    bool refused = false;
    auto waiter = [&]() -> TASK(void) {
        try {
            AWAIT(cond.wait());
        } catch (const corolla::invalid_state_error&) {
            refused = true;
        }
        RETURN;
    };
    loop.run_until_complete(test::spawn(loop, waiter));
    BOOST_TEST(refused);
    BOOST_TEST(cond.waiting() == 0u);
}

COROLLA_BACKEND_TEST(two_conditions_share_one_lock) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    corolla::condition not_empty(mu), not_full(mu);
    std::vector<int> buffer;
    std::vector<int> consumed;
    const std::size_t cap = 2;
    auto producer = [&]() -> TASK(void) {
        for (int i = 0; i < 6; ++i) {
            auto g = AWAIT(mu.scoped());
            AWAIT(not_full.wait_for([&] { return buffer.size() < cap; }));
            buffer.push_back(i);
            not_empty.notify();
        }
        RETURN;
    };
    auto consumer = [&]() -> TASK(void) {
        for (int i = 0; i < 6; ++i) {
            auto g = AWAIT(mu.scoped());
            AWAIT(not_empty.wait_for([&] { return !buffer.empty(); }));
            consumed.push_back(buffer.front());
            buffer.erase(buffer.begin());
            not_full.notify();
            g.release();
            AWAIT(corolla::sleep(1s));
        }
        RETURN;
    };
    std::vector<corolla::future<void>> ts{test::spawn(loop, consumer), test::spawn(loop, producer)};
    loop.run_until_complete(corolla::gather(loop, ts));
    BOOST_TEST(consumed == (std::vector<int>{0, 1, 2, 3, 4, 5}));
    BOOST_TEST(!mu.locked());
}
