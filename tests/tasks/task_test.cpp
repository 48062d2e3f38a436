// Tasks: scheduling, awaiting, cancellation semantics (CPython 3.12), current_task /
// all_tasks, reports, and the task's code being unwound when it is cancelled or its loop
// closes. Written once for both styles (support/style.hpp), run over every backend; the
// few lines about what only one style has (a coroutine handle resumed by hand, the
// printed form of the task's code) are marked by style.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include <corolla/core/sleep.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::test::loop_fixture;
namespace test = corolla::test;
using strings = std::vector<std::string>;

namespace {

TASK(int) add(int a, int b) { RETURN a + b; }

TASK(int) sum_chain(int n) {
    int total = 0;
    for (int i = 0; i < n; ++i)
        total += CALL(add(i, 0)) - i + 1;
    RETURN total;
}

TASK(std::string) sleeper(strings& log, std::string name, corolla::duration d) {
    log.push_back(name + " start");
    AWAIT(corolla::sleep(d));
    log.push_back(name + " end");
    RETURN name;
}

/// Logs its name when destroyed.
struct scope_log {
    strings* log;
    std::string name;
    scope_log(strings* l, std::string n) : log(l), name(std::move(n)) {}
    scope_log(const scope_log&) = delete;
    ~scope_log() { log->push_back(name); }
};

/// `depth` nested calls, each with a local, the innermost suspended for an hour.
TASK(void) nested(strings& log, int depth) {
    scope_log local{&log, "level " + std::to_string(depth)};
    if (depth == 0)
        AWAIT(corolla::sleep(1h));
    else
        CALL(nested(log, depth - 1));
}

}  // namespace

COROLLA_BACKEND_TEST(task_runs_and_returns_its_result) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = test::spawn_named(loop, "adder", add, 2, 3);
    BOOST_TEST(t.get_name() == "adder");
    BOOST_TEST((t.task_state() == corolla::task_status::pending));
    BOOST_TEST(loop.run_until_complete(t) == 5);
    BOOST_TEST((t.task_state() == corolla::task_status::done));
    BOOST_TEST(loop.stats().tasks == 0u);
}

COROLLA_BACKEND_TEST(long_synchronous_await_chain_uses_constant_stack) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, sum_chain, 1'000'000);
    BOOST_TEST(loop.run_until_complete(t) == 1'000'000);
}

COROLLA_BACKEND_TEST(sleep_uses_the_virtual_clock_and_orders_tasks) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    const auto t0 = loop.time();
    auto a = test::spawn(loop, sleeper, std::ref(log), "A", 3600s);
    auto b = test::spawn(loop, sleeper, std::ref(log), "B", 1s);
    BOOST_TEST(loop.run_until_complete(a) == "A");
    BOOST_TEST(b.result() == "B");
    BOOST_TEST(log == (strings{"A start", "B start", "B end", "A end"}));
    BOOST_TEST((loop.time() - t0 == corolla::duration(3600s)));
}

COROLLA_BACKEND_TEST(sleep_zero_yields_exactly_one_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto worker = [&](std::string name) -> TASK(void) {
        for (int i = 0; i < 3; ++i) {
            log.push_back(name + std::to_string(i));
            AWAIT(corolla::sleep(0s));
        }
    };
    auto a = test::spawn(loop, worker, "a");
    auto b = test::spawn(loop, worker, "b");
    loop.run_until_complete(b);
    BOOST_TEST(log == (strings{"a0", "b0", "a1", "b1", "a2", "b2"}));
    BOOST_TEST(a.done());
}

COROLLA_BACKEND_TEST(awaiting_a_future_set_by_a_callback) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto f = loop.create_future<int>();
    loop.call_later(2s, [&] { f.set_result(40); });
    auto body = [&]() -> TASK(int) { RETURN AWAIT(f) + 2; };
    BOOST_TEST(loop.run_until_complete(test::spawn(loop, body)) == 42);
}

COROLLA_BACKEND_TEST(exceptions_cross_the_await) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto failing = []() -> TASK(int) {
        AWAIT(corolla::sleep(1s));
        throw std::domain_error("bad");
    };
    auto caller = [&]() -> TASK(std::string) {
        try {
            AWAIT(test::spawn(loop, failing));
        } catch (const std::domain_error& e) {
            RETURN std::string("caught ") + e.what();
        }
        RETURN "nothing";
    };
    BOOST_TEST(loop.run_until_complete(test::spawn(loop, caller)) == "caught bad");
}

COROLLA_BACKEND_TEST(cancel_while_sleeping_raises_at_the_await) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    bool after_sleep = false;
    auto body = [&]() -> TASK(void) {
        AWAIT(corolla::sleep(10s));
        after_sleep = true;
    };
    auto t = test::spawn(loop, body);
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
    auto body = [&]() -> TASK(int) {
        bool cancelled = false;
        try {
            AWAIT(corolla::sleep(10s));
        } catch (const corolla::cancelled_error&) {
            cancelled = true;  // (a coroutine allows no co_await inside a handler)
        }
        if (!cancelled) RETURN 0;
        AWAIT(corolla::sleep(1s));  // cleanup that itself awaits
        RETURN 7;
    };
    auto t = test::spawn(loop, body);
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
    auto body = [&ran](std::shared_ptr<int> g) -> TASK(void) {
        ran = true;
        (void)g;
        RETURN;
    };
    auto t = test::spawn(loop, body, guard);
    BOOST_TEST(guard.use_count() == 2);  // held by the task's code (a frame, a fiber's callable)
    t.cancel();
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(!ran);
    BOOST_TEST(guard.use_count() == 1);  // the code was destroyed without running
}

COROLLA_BACKEND_TEST(self_cancel_is_delivered_at_the_next_suspension) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int stage = 0;
    auto body = [&]() -> TASK(void) {
        stage = 1;
        corolla::current_task().cancel("self");
        stage = 2;  // no suspension yet: keeps running
        AWAIT(corolla::sleep(5s));
        stage = 3;
    };
    auto t = test::spawn(loop, body);
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(stage == 2);
    BOOST_TEST(t.cancelled());
}

// asyncio's Task.__step: a cancellation requested while the task runs and never delivered
// (no suspension point after it) turns the task's return into a cancellation.
COROLLA_BACKEND_TEST(task_returning_with_a_cancel_pending_ends_cancelled) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    bool returned = false;
    auto body = [&]() -> TASK(int) {
        BOOST_TEST(corolla::current_task().cancel("bye"));
        returned = true;
        RETURN 7;
    };
    auto t = test::spawn(loop, body);
    try {
        (void)loop.run_until_complete(t);
        BOOST_FAIL("the task should have ended cancelled");
    } catch (const corolla::cancelled_error& e) {
        BOOST_TEST(e.message() == "bye");
    }
    BOOST_TEST(returned);
    BOOST_TEST(t.cancelled());
    BOOST_TEST(t.cancelling() == 1u);
    BOOST_TEST((t.task_state() == corolla::task_status::cancelled));

    // The same after a suspension, for a void task cancelled by another task's code while
    // it runs (here: from a callback it calls), and for the request a step made of itself.
    auto w = loop.create_future<int>();
    auto void_body = [&]() -> TASK(void) {
        (void)AWAIT(w);
        corolla::current_task().cancel();
    };
    auto v = test::spawn(loop, void_body);
    loop.call_soon([&] { w.set_result(1); });
    BOOST_CHECK_THROW(loop.run_until_complete(v), corolla::cancelled_error);
    BOOST_TEST(v.cancelled());

    // A request withdrawn with uncancel() before returning no longer wins (3.13).
    auto withdrawn = [&]() -> TASK(int) {
        auto me = corolla::current_task();
        me.cancel();
        me.uncancel();
        RETURN 5;
    };
    auto u = test::spawn(loop, withdrawn);
    BOOST_TEST(loop.run_until_complete(u) == 5);
    BOOST_TEST(!u.cancelled());

    // An exception raised after the request is the task's outcome, as in asyncio.
    auto failing = [&]() -> TASK(int) {
        corolla::current_task().cancel();
        throw std::runtime_error("boom");
        RETURN 0;
    };
    auto f = test::spawn(loop, failing);
    BOOST_CHECK_THROW(loop.run_until_complete(f), std::runtime_error);
    BOOST_TEST(!f.cancelled());
}

COROLLA_BACKEND_TEST(cancelling_a_task_cancels_the_future_it_waits_on) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto inner_f = loop.create_future<int>();
    auto body = [&]() -> TASK(int) { RETURN AWAIT(inner_f); };
    auto t = test::spawn(loop, body);
    loop.run_once(true);  // t is now waiting on inner_f
    t.cancel();
    BOOST_TEST(inner_f.cancelled());
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    // ... and awaiting a task cancels that task
    auto child_body = []() -> TASK(void) { AWAIT(corolla::sleep(1h)); };
    auto child = test::spawn(loop, child_body);
    auto parent_body = [&]() -> TASK(void) { AWAIT(child); };
    auto parent = test::spawn(loop, parent_body);
    loop.call_later(1s, [&] { parent.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(parent), corolla::cancelled_error);
    BOOST_TEST(child.cancelled());
}

COROLLA_BACKEND_TEST(double_cancel_before_resumption_is_delivered_once) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int caught = 0;
    auto body = [&]() -> TASK(int) {
        for (;;) {
            try {
                AWAIT(corolla::sleep(10s));
                RETURN caught;
            } catch (const corolla::cancelled_error&) {
                ++caught;
            }
        }
    };
    auto t = test::spawn(loop, body);
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
    auto body = [&]() -> TASK(void) {
        (void)AWAIT(f);
        got_value = true;
    };
    auto t = test::spawn(loop, body);
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
    strings log_sink;
    corolla::task_ref seen;
    auto body = [&]() -> TASK(void) {
        seen = corolla::current_task();
        BOOST_TEST((seen.task_state() == corolla::task_status::running));
        AWAIT(corolla::sleep(1s));
    };
    auto t1 = test::spawn_named(loop, "first", body);
    auto t2 = test::spawn_named(loop, "second", body);
    BOOST_TEST(corolla::all_tasks(loop).size() == 2u);
    BOOST_TEST(t1.to_string().find("<task pending name='first'") == 0u, t1.to_string());
    auto named = test::spawn(loop, sleeper, std::ref(log_sink), "n", 1s);
    // The task's code as printed: the coroutine function and where it is, or the function
    // a fiber runs.
#if defined(COROLLA_TEST_STYLE_CORO)
    const std::string named_code = "coro=<sleeper() at task_test.cpp:";
#else
    // As the fiber adapter describes a plain function: by its symbol where the executable
    // exports one, else by its type (these helpers have internal linkage).
    const std::string named_code =
        "fiber=<" + corolla::detail::describe_callable(reinterpret_cast<const void*>(&sleeper), typeid(&sleeper)) + ">";
#endif
    BOOST_TEST(named.to_string().find(named_code) != std::string::npos, named.to_string());
    BOOST_TEST(t1.to_string().find(std::string(test::style_name) + "=<") != std::string::npos, t1.to_string());
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
    auto body = [&]() -> TASK(void) {
        AWAIT(corolla::sleep(1s));
        ++done;
    };
    (void)test::spawn(loop, body);
    auto wait = test::spawn(loop, []() -> TASK(void) { AWAIT(corolla::sleep(2s)); });
    loop.run_until_complete(wait);
    BOOST_TEST(done == 1);
}

COROLLA_BACKEND_TEST(misuse_is_reported_clearly) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    // awaiting itself
    corolla::task<void> self_t;
    auto body = [&]() -> TASK(void) { AWAIT(self_t); };
    self_t = test::spawn(loop, body);
    BOOST_CHECK_THROW(loop.run_until_complete(self_t), corolla::invalid_state_error);
    // awaiting outside any task
    auto f = loop.create_future<int>();
    std::string error;
    auto outside = [&]() -> TASK(void) {
        try {
            (void)AWAIT(f);
        } catch (const corolla::invalid_state_error& e) {
            error = e.what();
        }
    };
#if defined(COROLLA_TEST_STYLE_CORO)
    auto h = outside().release();  // the coroutine resumed by hand, in no task
    h.resume();
    BOOST_TEST(h.done());
    h.destroy();
    BOOST_TEST(error.find("outside of a task") != std::string::npos, error);
#else
    outside();  // fiber code called on the thread's own stack
    BOOST_TEST(error.find("outside of a fiber") != std::string::npos, error);
#endif
    f.cancel();
    // creating a task with no running loop
#if defined(COROLLA_TEST_STYLE_CORO)
    BOOST_CHECK_THROW((void)corolla::create_task(add(1, 1)), corolla::invalid_state_error);
#else
    BOOST_CHECK_THROW((void)corolla::spawn_fiber(add, 1, 1), corolla::invalid_state_error);
#endif
}

COROLLA_BACKEND_TEST(unretrieved_task_exception_is_reported) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings reports;
    loop.set_exception_handler(
        [&](corolla::event_loop&, const corolla::exception_context& c) { reports.push_back(c.message); });
    {
        auto t = test::spawn(loop, []() -> TASK(void) {
            AWAIT(corolla::sleep(0s));
            throw std::runtime_error("lost");
        });
        fx.drain();
    }
    BOOST_TEST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0] == "Task exception was never retrieved");
}

COROLLA_BACKEND_TEST(closing_with_pending_tasks_reports_and_unwinds) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings reports;
    loop.set_exception_handler(
        [&](corolla::event_loop&, const corolla::exception_context& c) { reports.push_back(c.message); });
    auto guard = std::make_shared<int>(0);
    auto body = [](std::shared_ptr<int> g) -> TASK(void) {
        AWAIT(corolla::sleep(1h));
        (void)g;
    };
    (void)test::spawn_named(loop, "stuck", body, guard);
    loop.run_once(true);
    BOOST_TEST(guard.use_count() == 2);
    loop.close();
    BOOST_TEST(guard.use_count() == 1);  // frame destroyed / fiber stack unwound: destructors ran
    BOOST_TEST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0].find("Task was destroyed but it is pending") == 0u, reports[0]);
}

COROLLA_BACKEND_TEST(a_cancel_unwinds_every_nested_call_innermost_first) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = test::spawn(loop, nested, std::ref(log), 2);
    loop.call_later(1s, [&] { t.cancel(); });
    loop.run_once(true);
    BOOST_TEST(log.empty());
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(log == (strings{"level 0", "level 1", "level 2"}));
}

COROLLA_BACKEND_TEST(closing_with_a_task_suspended_in_nested_calls_unwinds_every_level) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings reports;
    loop.set_exception_handler(
        [&](corolla::event_loop&, const corolla::exception_context& c) { reports.push_back(c.message); });
    strings log;
    (void)test::spawn_named(loop, "deep", nested, std::ref(log), 2);
    loop.run_once(true);
    BOOST_TEST(log.empty());
    loop.close();
    BOOST_TEST(log == (strings{"level 0", "level 1", "level 2"}));
    BOOST_TEST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0].find("Task was destroyed but it is pending") == 0u, reports[0]);
}
