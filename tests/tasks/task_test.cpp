// Tasks driven by coroutines: scheduling, awaiting, cancellation semantics (CPython 3.12),
// current_task / all_tasks, reports. Every body runs over every compiled backend.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/core/sleep.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using namespace std::chrono_literals;
using corolla::coro;
using corolla::test::loop_fixture;

namespace {

coro<int> add(int a, int b) { co_return a + b; }

coro<int> sum_chain(int n) {
    int total = 0;
    for (int i = 0; i < n; ++i)
        total += co_await add(i, 0) - i + 1;
    co_return total;
}

coro<std::string> sleeper(std::vector<std::string>& log, std::string name, corolla::duration d) {
    log.push_back(name + " start");
    co_await corolla::sleep(d);
    log.push_back(name + " end");
    co_return name;
}

}  // namespace

COROLLA_BACKEND_TEST(task_runs_and_returns_its_result) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = corolla::create_task(loop, add(2, 3), "adder");
    BOOST_TEST(t.get_name() == "adder");
    BOOST_TEST((t.task_state() == corolla::task_status::pending));
    BOOST_TEST(loop.run_until_complete(t) == 5);
    BOOST_TEST((t.task_state() == corolla::task_status::done));
    BOOST_TEST(loop.stats().tasks == 0u);
}

COROLLA_BACKEND_TEST(long_synchronous_await_chain_uses_constant_stack) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = corolla::create_task(loop, sum_chain(1'000'000));
    BOOST_TEST(loop.run_until_complete(t) == 1'000'000);
}

COROLLA_BACKEND_TEST(sleep_uses_the_virtual_clock_and_orders_tasks) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> log;
    const auto t0 = loop.time();
    auto a = corolla::create_task(loop, sleeper(log, "A", 3600s));
    auto b = corolla::create_task(loop, sleeper(log, "B", 1s));
    BOOST_TEST(loop.run_until_complete(a) == "A");
    BOOST_TEST(b.result() == "B");
    BOOST_TEST(log == (std::vector<std::string>{"A start", "B start", "B end", "A end"}));
    BOOST_TEST((loop.time() - t0 == corolla::duration(3600s)));
}

COROLLA_BACKEND_TEST(sleep_zero_yields_exactly_one_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> log;
    auto worker = [&](std::string name) -> coro<void> {
        for (int i = 0; i < 3; ++i) {
            log.push_back(name + std::to_string(i));
            co_await corolla::sleep(0s);
        }
    };
    auto a = corolla::create_task(loop, worker("a"));
    auto b = corolla::create_task(loop, worker("b"));
    loop.run_until_complete(b);
    BOOST_TEST(log == (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
    BOOST_TEST(a.done());
}

COROLLA_BACKEND_TEST(awaiting_a_future_set_by_a_callback) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto f = loop.create_future<int>();
    loop.call_later(2s, [&] { f.set_result(40); });
    auto body = [&]() -> coro<int> { co_return co_await f + 2; };
    BOOST_TEST(loop.run_until_complete(corolla::create_task(loop, body())) == 42);
}

COROLLA_BACKEND_TEST(exceptions_cross_the_await) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto failing = []() -> coro<int> {
        co_await corolla::sleep(1s);
        throw std::domain_error("bad");
    };
    auto caller = [&]() -> coro<std::string> {
        try {
            co_await corolla::create_task(loop, failing());
        } catch (const std::domain_error& e) {
            co_return std::string("caught ") + e.what();
        }
        co_return "nothing";
    };
    BOOST_TEST(loop.run_until_complete(corolla::create_task(loop, caller())) == "caught bad");
}

COROLLA_BACKEND_TEST(cancel_while_sleeping_raises_at_the_await) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    bool after_sleep = false;
    auto body = [&]() -> coro<void> {
        co_await corolla::sleep(10s);
        after_sleep = true;
    };
    auto t = corolla::create_task(loop, body());
    loop.call_later(1s, [&] { BOOST_TEST(t.cancel("stop now")); });
    try {
        loop.run_until_complete(t);
        BOOST_FAIL("expected cancelled_error");
    } catch (const corolla::cancelled_error& e) {
        BOOST_TEST(e.message() == "stop now");
    }
    BOOST_TEST(t.cancelled());
    BOOST_TEST(!after_sleep);
    BOOST_TEST(!t.cancel());                // done: refused
    BOOST_TEST(loop.stats().timers == 0u);  // the sleep's timer went with it
}

COROLLA_BACKEND_TEST(cancellation_can_be_caught_and_the_task_goes_on) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto body = [&]() -> coro<int> {
        bool cancelled = false;
        try {
            co_await corolla::sleep(10s);
        } catch (const corolla::cancelled_error&) {
            cancelled = true;  // (C++ allows no co_await inside a handler)
        }
        if (!cancelled) co_return 0;
        co_await corolla::sleep(1s);  // cleanup that itself awaits
        co_return 7;
    };
    auto t = corolla::create_task(loop, body());
    loop.call_later(1s, [&] { t.cancel(); });
    BOOST_TEST(loop.run_until_complete(t) == 7);
    BOOST_TEST(!t.cancelled());
    BOOST_TEST(t.cancelling() == 1u);
    BOOST_TEST(t.uncancel() == 0u);
}

COROLLA_BACKEND_TEST(cancel_before_first_step_never_runs_the_body) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    bool ran = false;
    auto guard = std::make_shared<int>(0);
    auto body = [&ran](std::shared_ptr<int> g) -> coro<void> {
        ran = true;
        (void)g;
        co_return;
    };
    auto t = corolla::create_task(loop, body(guard));
    BOOST_TEST(guard.use_count() == 2);  // held by the frame
    t.cancel();
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(!ran);
    BOOST_TEST(guard.use_count() == 1);  // frame destroyed
}

COROLLA_BACKEND_TEST(self_cancel_is_delivered_at_the_next_suspension) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int stage = 0;
    auto body = [&]() -> coro<void> {
        stage = 1;
        corolla::current_task().cancel("self");
        stage = 2;  // no suspension yet: keeps running
        co_await corolla::sleep(5s);
        stage = 3;
    };
    auto t = corolla::create_task(loop, body());
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(stage == 2);
    BOOST_TEST(t.cancelled());
}

COROLLA_BACKEND_TEST(cancelling_a_task_cancels_the_future_it_waits_on) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto inner_f = loop.create_future<int>();
    auto body = [&]() -> coro<int> { co_return co_await inner_f; };
    auto t = corolla::create_task(loop, body());
    loop.run_once(true);  // t is now waiting on inner_f
    t.cancel();
    BOOST_TEST(inner_f.cancelled());
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    // ... and awaiting a task cancels that task
    // (named lambdas: a coroutine lambda's captures live in the closure object)
    auto child_body = []() -> coro<void> { co_await corolla::sleep(1h); };
    auto child = corolla::create_task(loop, child_body());
    auto parent_body = [&]() -> coro<void> { co_await child; };
    auto parent = corolla::create_task(loop, parent_body());
    loop.call_later(1s, [&] { parent.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(parent), corolla::cancelled_error);
    BOOST_TEST(child.cancelled());
}

COROLLA_BACKEND_TEST(double_cancel_before_resumption_is_delivered_once) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int caught = 0;
    auto body = [&]() -> coro<int> {
        for (;;) {
            try {
                co_await corolla::sleep(10s);
                co_return caught;
            } catch (const corolla::cancelled_error&) {
                ++caught;
            }
        }
    };
    auto t = corolla::create_task(loop, body());
    loop.call_later(1s, [&] {
        t.cancel();
        t.cancel();
    });
    BOOST_TEST(loop.run_until_complete(t) == 1);
    BOOST_TEST(t.cancelling() == 2u);
}

COROLLA_BACKEND_TEST(cancel_and_completion_in_the_same_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto f = loop.create_future<int>();
    bool got_value = false;
    auto body = [&]() -> coro<void> {
        (void)co_await f;
        got_value = true;
    };
    auto t = corolla::create_task(loop, body());
    loop.run_once(true);  // t waits on f
    // In one callback: the future completes (its wakeup is queued), then the task is
    // cancelled. The future cannot be cancelled any more, so the task gets
    // cancelled_error at its await instead of the value (as asyncio does).
    loop.call_soon([&] {
        f.set_result(1);
        t.cancel();
    });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(!got_value);
}

COROLLA_BACKEND_TEST(current_task_and_all_tasks) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    BOOST_TEST(!corolla::current_task());
    std::vector<std::string> log_sink;
    corolla::task_ref seen;
    auto body = [&]() -> coro<void> {
        seen = corolla::current_task();
        BOOST_TEST((seen.task_state() == corolla::task_status::running));
        co_await corolla::sleep(1s);
    };
    auto t1 = corolla::create_task(loop, body(), "first");
    auto t2 = corolla::create_task(loop, body(), "second");
    BOOST_TEST(corolla::all_tasks(loop).size() == 2u);
    BOOST_TEST(t1.to_string().find("<task pending name='first'") == 0u, t1.to_string());
    auto named = corolla::create_task(loop, sleeper(log_sink, "n", 1s));
    BOOST_TEST(named.to_string().find("coro=<sleeper() at task_test.cpp:") != std::string::npos, named.to_string());
    BOOST_TEST(t1.to_string().find("coro=<") != std::string::npos, t1.to_string());
    loop.run_until_complete(named);
    loop.run_until_complete(t1);
    loop.run_until_complete(t2);
    BOOST_TEST((seen == corolla::task_ref(t2)));
    BOOST_TEST(corolla::all_tasks(loop).empty());
    BOOST_TEST(t1.to_string().find("finished") != std::string::npos, t1.to_string());
}

COROLLA_BACKEND_TEST(dropped_task_handle_still_runs_to_completion) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int done = 0;
    auto body = [&]() -> coro<void> {
        co_await corolla::sleep(1s);
        ++done;
    };
    (void)corolla::create_task(loop, body());
    auto wait = corolla::create_task(loop, []() -> coro<void> { co_await corolla::sleep(2s); }());
    loop.run_until_complete(wait);
    BOOST_TEST(done == 1);
}

COROLLA_BACKEND_TEST(misuse_is_reported_clearly) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    // awaiting itself
    corolla::task<void> self_t;
    auto body = [&]() -> coro<void> { co_await self_t; };
    self_t = corolla::create_task(loop, body());
    BOOST_CHECK_THROW(loop.run_until_complete(self_t), corolla::invalid_state_error);
    // awaiting outside any task
    auto f = loop.create_future<int>();
    std::string error;
    auto outside = [&]() -> coro<void> {
        try {
            (void)co_await f;
        } catch (const corolla::invalid_state_error& e) {
            error = e.what();
        }
    };
    auto h = outside().release();
    h.resume();
    BOOST_TEST(h.done());
    h.destroy();
    BOOST_TEST(error.find("outside of a task") != std::string::npos, error);
    f.cancel();
    // create_task with no running loop
    BOOST_CHECK_THROW((void)corolla::create_task(add(1, 1)), corolla::invalid_state_error);
}

COROLLA_BACKEND_TEST(unretrieved_task_exception_is_reported) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> reports;
    loop.set_exception_handler(
        [&](corolla::event_loop&, const corolla::exception_context& c) { reports.push_back(c.message); });
    {
        auto t = corolla::create_task(loop, []() -> coro<void> {
            co_await corolla::sleep(0s);
            throw std::runtime_error("lost");
        }());
        fx.drain();
    }
    BOOST_TEST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0] == "Task exception was never retrieved");
}

COROLLA_BACKEND_TEST(closing_with_pending_tasks_reports_and_unwinds) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> reports;
    loop.set_exception_handler(
        [&](corolla::event_loop&, const corolla::exception_context& c) { reports.push_back(c.message); });
    auto guard = std::make_shared<int>(0);
    auto body = [](std::shared_ptr<int> g) -> coro<void> {
        co_await corolla::sleep(1h);
        (void)g;
    };
    (void)corolla::create_task(loop, body(guard), "stuck");
    loop.run_once(true);
    BOOST_TEST(guard.use_count() == 2);
    loop.close();
    BOOST_TEST(guard.use_count() == 1);  // frame destroyed, destructors ran
    BOOST_TEST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0].find("Task was destroyed but it is pending") == 0u, reports[0]);
}
