// gather / shield / wait_for over tasks and from inside tasks: argument order, first
// failure, return_exceptions, cancellation in both directions, shielded work going on,
// and wait_for waiting for the inner task's cleanup.
// Written once for both styles (support/style.hpp), run over every backend.
#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::test::loop_fixture;
namespace test = corolla::test;

namespace {

TASK(int) value_after(corolla::duration d, int v) {
    AWAIT(corolla::sleep(d));
    RETURN v;
}

TASK(int) fail_after(corolla::duration d, std::string what) {
    AWAIT(corolla::sleep(d));
    throw std::runtime_error(what);
}

}  // namespace

COROLLA_BACKEND_TEST(gather_variadic_returns_values_in_argument_order) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto a = test::spawn(loop, value_after, 3s, 1);
    auto b = test::spawn(loop, value_after, 1s, 2);
    auto v = loop.create_future<void>();
    loop.call_later(2s, [&] { v.set_result(); });
    auto [x, y, z] = loop.run_until_complete(corolla::gather(a, b, v));
    BOOST_TEST(x == 1);
    BOOST_TEST(y == 2);
    (void)z;
    BOOST_TEST((loop.time() - corolla::time_point{} - 1h == corolla::duration(3s)));
}

COROLLA_BACKEND_TEST(gather_over_a_range_and_empty_range) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<corolla::future<int>> fs;
    for (int i = 0; i < 5; ++i)
        fs.push_back(test::spawn(loop, value_after, std::chrono::seconds(5 - i), i));
    BOOST_TEST(loop.run_until_complete(corolla::gather(loop, fs)) == (std::vector<int>{0, 1, 2, 3, 4}));
    BOOST_TEST(loop.run_until_complete(corolla::gather(loop, std::vector<corolla::future<int>>{})).empty());
}

COROLLA_BACKEND_TEST(gather_first_exception_fails_without_cancelling_others) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto ok = test::spawn(loop, value_after, 5s, 1);
    auto bad = test::spawn(loop, fail_after, 1s, "boom");
    auto g = corolla::gather(ok, bad);
    BOOST_CHECK_THROW(loop.run_until_complete(g), std::runtime_error);
    BOOST_TEST(!ok.done());  // still running
    BOOST_TEST(loop.run_until_complete(ok) == 1);
}

COROLLA_BACKEND_TEST(gather_return_exceptions_collects_outcomes) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto ok = test::spawn(loop, value_after, 1s, 7);
    auto bad = test::spawn(loop, fail_after, 2s, "bad");
    auto gone = test::spawn(loop, value_after, 3s, 9);
    loop.call_later(1500ms, [&] { gone.cancel(); });
    auto [r1, r2, r3] = loop.run_until_complete(corolla::gather(corolla::return_exceptions, ok, bad, gone));
    BOOST_TEST(r1.value() == 7);
    BOOST_TEST(!r2.has_value());
    BOOST_CHECK_THROW(r2.value(), std::runtime_error);
    BOOST_CHECK_THROW(r3.value(), corolla::cancelled_error);
}

COROLLA_BACKEND_TEST(a_cancelled_child_fails_the_gather_without_cancelling_siblings) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto a = test::spawn(loop, value_after, 5s, 1);
    auto b = test::spawn(loop, value_after, 5s, 2);
    auto g = corolla::gather(a, b);
    loop.call_later(1s, [&] { a.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(g), corolla::cancelled_error);
    BOOST_TEST(!b.cancelled());
    BOOST_TEST(loop.run_until_complete(b) == 2);
}

COROLLA_BACKEND_TEST(cancelling_gather_cancels_children_and_is_refused_once_they_finished) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto a = test::spawn(loop, value_after, 5s, 1);
    auto b = test::spawn(loop, value_after, 6s, 2);
    auto g = corolla::gather(a, b);
    loop.call_later(1s, [&] { BOOST_TEST(g.cancel("enough")); });
    BOOST_CHECK_THROW(loop.run_until_complete(g), corolla::cancelled_error);
    BOOST_TEST(a.cancelled());
    BOOST_TEST(b.cancelled());
    // all children finished before the gather's callbacks ran: cancel is refused
    auto c = test::spawn(loop, value_after, 1s, 3);
    auto g2 = corolla::gather(c);
    loop.run_until_complete(c);
    BOOST_TEST(!g2.cancel());
    BOOST_TEST(std::get<0>(loop.run_until_complete(g2)) == 3);
}

COROLLA_BACKEND_TEST(cancelling_the_awaiting_task_cancels_the_gather_children) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto a = test::spawn(loop, value_after, 5s, 1);
    auto parent_body = [&]() -> TASK(void) { (void)AWAIT(corolla::gather(a)); };
    auto parent = test::spawn(loop, parent_body);
    loop.call_later(1s, [&] { parent.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(parent), corolla::cancelled_error);
    BOOST_TEST(a.cancelled());
}

COROLLA_BACKEND_TEST(shield_keeps_the_inner_work_running) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto inner = test::spawn(loop, value_after, 5s, 42);
    auto outer_body = [&]() -> TASK(int) { RETURN AWAIT(corolla::shield(inner)); };
    auto outer = test::spawn(loop, outer_body);
    loop.call_later(1s, [&] { outer.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(outer), corolla::cancelled_error);
    BOOST_TEST(!inner.cancelled());
    BOOST_TEST(loop.run_until_complete(inner) == 42);
}

// One or several shields around one inner future, all cancelled: its later failure is
// reported once. With one shield still awaited, that awaiter takes the failure and nothing
// is reported.
COROLLA_BACKEND_TEST(shield_failure_is_reported_once_per_inner_future) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> reports;
    loop.set_exception_handler(
        [&](corolla::event_loop&, const corolla::exception_context& c) { reports.push_back(c.message); });
    for (int count : {1, 3}) {
        reports.clear();
        {
            auto inner = test::spawn(loop, fail_after, 5s, "late");
            std::vector<corolla::future<int>> shields;
            for (int i = 0; i < count; ++i)
                shields.push_back(corolla::shield(inner));
            loop.call_later(1s, [&] {
                for (auto& s : shields)
                    s.cancel();
            });
            auto done = test::spawn(loop, value_after, 6s, 0);
            loop.run_until_complete(done);
        }
        fx.drain();
        BOOST_TEST_REQUIRE(reports.size() == 1u);
        BOOST_TEST(reports[0].find("shielded") != std::string::npos, reports[0]);
    }

    reports.clear();
    {
        auto inner = test::spawn(loop, fail_after, 5s, "seen");
        auto abandoned = corolla::shield(inner);
        auto kept = corolla::shield(inner);
        auto awaiter_body = [&]() -> TASK(int) { RETURN AWAIT(kept); };
        auto awaiter = test::spawn(loop, awaiter_body);
        loop.call_later(1s, [&] { abandoned.cancel(); });
        BOOST_CHECK_THROW(loop.run_until_complete(awaiter), std::runtime_error);
    }
    fx.drain();
    BOOST_TEST(reports.empty());
}

COROLLA_BACKEND_TEST(wait_for_returns_in_time_or_times_out_after_inner_cancelled) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto fast = test::spawn(loop, value_after, 1s, 5);
    BOOST_TEST(loop.run_until_complete(corolla::wait_for(fast, 2s)) == 5);

    bool inner_cleanup_done = false;
    auto slow_body = [&]() -> TASK(int) {
        bool cancelled = false;
        try {
            AWAIT(corolla::sleep(10s));
        } catch (const corolla::cancelled_error&) {
            cancelled = true;
        }
        if (cancelled) {
            AWAIT(corolla::sleep(1s));  // slow cleanup: wait_for must wait for it
            inner_cleanup_done = true;
            throw corolla::cancelled_error("cleaned up");
        }
        RETURN 0;
    };
    auto slow = test::spawn(loop, slow_body);
    const auto t0 = loop.time();
    BOOST_CHECK_THROW(loop.run_until_complete(corolla::wait_for(slow, 2s)), corolla::timeout_error);
    BOOST_TEST(inner_cleanup_done);
    BOOST_TEST(slow.cancelled());
    BOOST_TEST((loop.time() - t0 == corolla::duration(3s)));
}

COROLLA_BACKEND_TEST(wait_for_returns_the_value_when_the_inner_suppresses_the_cancel) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto stubborn_body = []() -> TASK(int) {
        try {
            AWAIT(corolla::sleep(10s));
        } catch (const corolla::cancelled_error&) {
        }
        RETURN 99;
    };
    auto t = test::spawn(loop, stubborn_body);
    BOOST_TEST(loop.run_until_complete(corolla::wait_for(t, 1s)) == 99);
}

// CPython 3.12+: wait_for is timeout() around the await, so an outside cancel reaches the
// inner task, and when the inner task swallows it and returns, wait_for returns that value
// and the outer task goes on (still counting the request).
COROLLA_BACKEND_TEST(wait_for_returns_what_the_inner_returns_after_swallowing_an_outside_cancel) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int swallowed = 0;
    auto stubborn_body = [&]() -> TASK(int) {
        for (int i = 0; i < 2; ++i) {
            try {
                AWAIT(corolla::sleep(10s));
            } catch (const corolla::cancelled_error&) {
                ++swallowed;
            }
        }
        RETURN 99;
    };
    auto inner = test::spawn(loop, stubborn_body);
    bool went_on = false;
    auto waiter_body = [&]() -> TASK(int) {
        int r = AWAIT(corolla::wait_for(inner, 5s));
        went_on = true;
        AWAIT(corolla::sleep(1s));  // no cancellation is pending any more
        RETURN r;
    };
    auto waiter = test::spawn(loop, waiter_body);
    // Two requests, each forwarded to the inner task, each swallowed there.
    loop.call_later(1s, [&] { BOOST_TEST(waiter.cancel()); });
    loop.call_later(2s, [&] { BOOST_TEST(waiter.cancel()); });
    BOOST_TEST(loop.run_until_complete(waiter) == 99);
    BOOST_TEST(went_on);
    BOOST_TEST(!waiter.cancelled());
    BOOST_TEST(waiter.cancelling() == 2u);
    BOOST_TEST(inner.cancelling() == 2u);
    BOOST_TEST(swallowed == 2);

    // An inner that honours the request: the outer ends cancelled, with the message, and
    // not with timeout_error even though the deadline passes while the inner cleans up.
    auto slow_cleanup = []() -> TASK(int) {
        bool cancelled = false;
        try {
            AWAIT(corolla::sleep(10s));
        } catch (const corolla::cancelled_error&) {
            cancelled = true;  // no await in a handler: clean up below
        }
        if (cancelled) {
            AWAIT(corolla::sleep(3s));
            throw corolla::cancelled_error("from outside");
        }
        RETURN 0;
    };
    auto inner2 = test::spawn(loop, slow_cleanup);
    auto waiter2_body = [&]() -> TASK(int) { RETURN AWAIT(corolla::wait_for(inner2, 2s)); };
    auto waiter2 = test::spawn(loop, waiter2_body);
    loop.call_later(1s, [&] { waiter2.cancel("from outside"); });
    try {
        (void)loop.run_until_complete(waiter2);
        BOOST_FAIL("the outer task should end cancelled");
    } catch (const corolla::cancelled_error& e) {
        BOOST_TEST(e.message() == "from outside");
    }
    BOOST_TEST(waiter2.cancelled());
    BOOST_TEST(inner2.cancelled());
}

COROLLA_BACKEND_TEST(wait_for_with_zero_or_huge_timeouts) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, value_after, 1s, 1);
    BOOST_CHECK_THROW(loop.run_until_complete(corolla::wait_for(t, 0s)), corolla::timeout_error);
    BOOST_TEST(t.cancelled());
    auto u = test::spawn(loop, value_after, 1s, 2);
    BOOST_TEST(loop.run_until_complete(corolla::wait_for(u, std::chrono::hours::max())) == 2);
}
