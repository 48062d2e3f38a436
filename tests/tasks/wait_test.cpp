// wait() and as_completed() (asyncio.wait / asyncio.as_completed): completion
// conditions, timeouts that cancel nothing, order of completion, and readers that give up.
// Written once for both styles (support/style.hpp), run over every backend.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <corolla/core/as_completed.hpp>
#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::return_when;
using corolla::task;
using corolla::test::loop_fixture;
namespace test = corolla::test;

namespace {

TASK(int) after(corolla::duration d, int v) {
    AWAIT(corolla::sleep(d));
    RETURN v;
}

TASK(int) fail_after(corolla::duration d, std::string msg) {
    AWAIT(corolla::sleep(d));
    throw std::runtime_error(msg);
}

TASK(std::string) text_after(corolla::duration d, std::string s) {
    AWAIT(corolla::sleep(d));
    RETURN s;
}

double seconds(corolla::event_loop& loop, corolla::time_point t0) {
    return std::chrono::duration<double>(loop.time() - t0).count();
}

std::vector<int> values(const std::vector<corolla::future<int>>& fs) {
    std::vector<int> out;
    for (const auto& f : fs)
        out.push_back(f.result());
    return out;
}

}  // namespace

COROLLA_BACKEND_TEST(wait_all_completed_returns_every_future_done_in_input_order) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        std::vector<corolla::future<int>> fs{test::spawn(loop, after, 3s, 3), test::spawn(loop, after, 1s, 1),
                                             test::spawn(loop, after, 2s, 2)};
        auto r = AWAIT(corolla::wait(loop, fs));
        BOOST_TEST(seconds(loop, t0) == 3.0);
        BOOST_TEST(r.pending.empty());
        BOOST_TEST(values(r.done) == (std::vector<int>{3, 1, 2}));
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(wait_first_completed_returns_early_and_cancels_nothing) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        std::vector<corolla::future<int>> fs{test::spawn(loop, after, 3s, 3), test::spawn(loop, after, 1s, 1),
                                             test::spawn(loop, after, 2s, 2)};
        auto r = AWAIT(corolla::wait(loop, fs, return_when::first_completed));
        BOOST_TEST(seconds(loop, t0) == 1.0);
        BOOST_TEST(values(r.done) == (std::vector<int>{1}));
        BOOST_REQUIRE(r.pending.size() == 2u);
        BOOST_TEST(!r.pending[0].cancelled());
        // The others keep running and finish normally.
        auto rest = AWAIT(corolla::wait(loop, r.pending));
        BOOST_TEST(values(rest.done) == (std::vector<int>{3, 2}));
        BOOST_TEST(seconds(loop, t0) == 3.0);
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(wait_first_exception_ignores_cancelled_futures) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto victim = test::spawn(loop, after, 10s, 0);
        std::vector<corolla::future<int>> fs{victim, test::spawn(loop, fail_after, 2s, std::string("boom")),
                                             test::spawn(loop, after, 5s, 5)};
        auto waiting = corolla::wait(loop, fs, return_when::first_exception);
        AWAIT(corolla::sleep(1s));
        victim.cancel();  // a cancelled future is not an exception: keep waiting
        auto r = AWAIT(waiting);
        BOOST_TEST(seconds(loop, t0) == 2.0);
        BOOST_REQUIRE(r.done.size() == 2u);
        BOOST_TEST(r.done[0].cancelled());
        BOOST_CHECK_THROW(r.done[1].result(), std::runtime_error);
        BOOST_REQUIRE(r.pending.size() == 1u);
        int last = AWAIT(r.pending[0]);
        BOOST_TEST(last == 5);
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(wait_first_exception_without_failure_waits_for_all) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        std::vector<corolla::future<int>> fs{test::spawn(loop, after, 1s, 1), test::spawn(loop, after, 2s, 2)};
        auto r = AWAIT(corolla::wait(loop, fs, return_when::first_exception));
        BOOST_TEST(seconds(loop, t0) == 2.0);
        BOOST_TEST(r.done.size() == 2u);
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(wait_timeout_splits_and_cancels_nothing) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        std::vector<corolla::future<int>> fs{test::spawn(loop, after, 1s, 1), test::spawn(loop, after, 5s, 5)};
        auto r = AWAIT(corolla::wait(loop, fs, return_when::all_completed, 2s));
        BOOST_TEST(seconds(loop, t0) == 2.0);
        BOOST_TEST(values(r.done) == (std::vector<int>{1}));
        BOOST_REQUIRE(r.pending.size() == 1u);
        BOOST_TEST(!r.pending[0].done());
        int last = AWAIT(r.pending[0]);
        BOOST_TEST(last == 5);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(loop.stats().timers == 0u);  // the wait's own timer is gone
}

COROLLA_BACKEND_TEST(wait_over_done_futures_completes_at_the_next_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::future<int> f(loop);
    f.set_result(7);
    auto w = corolla::wait(loop, std::vector<corolla::future<int>>{f}, return_when::first_completed);
    BOOST_TEST(!w.done());
    loop.run_once();
    BOOST_REQUIRE(w.done());
    BOOST_TEST(values(w.result().done) == (std::vector<int>{7}));
}

COROLLA_BACKEND_TEST(wait_rejects_an_empty_set) {
    loop_fixture fx(backend);
    BOOST_CHECK_THROW(corolla::wait(fx.loop(), std::vector<corolla::future<int>>{}), std::invalid_argument);
}

COROLLA_BACKEND_TEST(cancelling_a_waiting_task_leaves_the_futures_running) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<corolla::future<int>> fs{test::spawn(loop, after, 1s, 1), test::spawn(loop, after, 2s, 2)};
    auto waiter = test::spawn(loop, [&]() -> TASK(int) {
        auto r = AWAIT(corolla::wait(loop, fs));
        RETURN static_cast<int>(r.done.size());
    });
    loop.call_later(500ms, [&] { waiter.cancel(); });
    auto both = corolla::gather(loop, fs);
    BOOST_TEST(loop.run_until_complete(both) == (std::vector<int>{1, 2}));
    BOOST_TEST(waiter.cancelled());
}

COROLLA_BACKEND_TEST(wait_accepts_tasks_of_different_types) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        task<int> a = test::spawn(loop, after, 1s, 1);
        task<std::string> b = test::spawn(loop, text_after, 2s, std::string("two"));
        std::vector<corolla::task_ref> both{a, b};
        auto r = AWAIT(corolla::wait(loop, both, return_when::first_completed));
        BOOST_REQUIRE(r.done.size() == 1u);
        BOOST_TEST((r.done[0] == corolla::task_ref(a)));
        auto bv = AWAIT(b);
        BOOST_TEST(bv == std::string("two"));
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(as_completed_yields_in_completion_order) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto main = test::spawn(loop, [&]() -> TASK(std::vector<int>) {
        std::vector<corolla::future<int>> fs{test::spawn(loop, after, 3s, 3), test::spawn(loop, after, 1s, 1),
                                             test::spawn(loop, after, 2s, 2)};
        std::vector<int> order;
        for (corolla::future<int> next : corolla::as_completed(loop, fs))
            order.push_back(AWAIT(next));
        RETURN order;
    });
    BOOST_TEST(loop.run_until_complete(main) == (std::vector<int>{1, 2, 3}));
}

COROLLA_BACKEND_TEST(as_completed_passes_each_failure_at_its_turn) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto main = test::spawn(loop, [&]() -> TASK(std::vector<std::string>) {
        std::vector<corolla::future<int>> fs{test::spawn(loop, after, 3s, 3),
                                             test::spawn(loop, fail_after, 1s, std::string("first")),
                                             test::spawn(loop, after, 2s, 2)};
        std::vector<std::string> seen;
        auto ac = corolla::as_completed(loop, fs);
        BOOST_TEST(ac.size() == 3u);
        while (ac.remaining() > 0) {
            auto next = ac.next();
            std::string item;
            try {
                item = std::to_string(AWAIT(next));
            } catch (const std::runtime_error& e) {
                item = e.what();
            }
            seen.push_back(item);
        }
        BOOST_CHECK_THROW(ac.next(), corolla::invalid_state_error);
        RETURN seen;
    });
    BOOST_TEST(loop.run_until_complete(main) == (std::vector<std::string>{"first", "2", "3"}));
}

COROLLA_BACKEND_TEST(as_completed_timeout_fails_the_rest_and_cancels_nothing) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<corolla::future<int>> fs{test::spawn(loop, after, 1s, 1), test::spawn(loop, after, 5s, 5),
                                         test::spawn(loop, after, 6s, 6)};
    auto main = test::spawn(loop, [&]() -> TASK(std::vector<std::string>) {
        std::vector<std::string> seen;
        for (corolla::future<int> next : corolla::as_completed(loop, fs, 2s)) {
            try {
                seen.push_back(std::to_string(AWAIT(next)));
            } catch (const corolla::timeout_error&) {
                seen.push_back("timeout");
            }
        }
        RETURN seen;
    });
    BOOST_TEST(loop.run_until_complete(main) == (std::vector<std::string>{"1", "timeout", "timeout"}));
    BOOST_TEST(!fs[1].done());
    BOOST_TEST(loop.run_until_complete(fs[2]) == 6);
    BOOST_TEST(fs[1].result() == 5);
}

COROLLA_BACKEND_TEST(as_completed_reader_cancelled_loses_no_result) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<corolla::future<int>> fs{test::spawn(loop, after, 1s, 1), test::spawn(loop, after, 2s, 2)};
    auto ac = corolla::as_completed(loop, fs);
    auto impatient = test::spawn(loop, [&]() -> TASK(int) { RETURN AWAIT(ac.next()); });
    loop.call_later(500ms, [&] { impatient.cancel(); });
    auto patient = test::spawn(loop, [&]() -> TASK(std::vector<int>) {
        AWAIT(corolla::sleep(700ms));
        std::vector<int> got;
        got.push_back(AWAIT(ac.next()));
        RETURN got;
    });
    BOOST_TEST(loop.run_until_complete(patient) == (std::vector<int>{1}));
    BOOST_TEST(impatient.cancelled());
    BOOST_TEST(ac.remaining() == 0u);
    loop.run_until_complete(fs[1]);
}
