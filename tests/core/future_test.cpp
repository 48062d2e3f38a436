// future<T>: states, results, cancellation, done-callbacks through the ready queue.
#include <memory>
#include <string>
#include <vector>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

BOOST_AUTO_TEST_SUITE(future)

BOOST_AUTO_TEST_CASE(states_and_results) {
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    auto f = loop.create_future<int>();
    BOOST_TEST((f.status() == corolla::future_status::pending));
    BOOST_TEST(!f.done());
    BOOST_CHECK_THROW(f.result(), corolla::invalid_state_error);
    BOOST_CHECK_THROW(f.exception(), corolla::invalid_state_error);
    f.set_result(42);
    BOOST_TEST(f.done());
    BOOST_TEST(f.result() == 42);
    BOOST_TEST(!f.exception());
    BOOST_CHECK_THROW(f.set_result(1), corolla::invalid_state_error);
    BOOST_CHECK_THROW(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))), corolla::invalid_state_error);
    BOOST_TEST(!f.cancel());
    BOOST_TEST(f.result() == 42);
}

BOOST_AUTO_TEST_CASE(exception_result) {
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    auto f = loop.create_future<std::string>();
    f.set_exception(std::make_exception_ptr(std::out_of_range("nope")));
    BOOST_CHECK_THROW(f.result(), std::out_of_range);
    BOOST_TEST(static_cast<bool>(f.exception()));
    BOOST_CHECK_THROW(f.set_exception(nullptr), corolla::invalid_state_error);
    auto g = loop.create_future<int>();
    BOOST_CHECK_THROW(g.set_exception(nullptr), std::invalid_argument);
    g.cancel();
}

BOOST_AUTO_TEST_CASE(cancel_carries_message) {
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    auto f = loop.create_future<void>();
    BOOST_TEST(f.cancel("stop it"));
    BOOST_TEST(f.cancelled());
    BOOST_TEST(f.done());
    BOOST_TEST(!f.cancel("again"));
    try {
        f.result();
        BOOST_FAIL("result() of a cancelled future must throw");
    } catch (const corolla::cancelled_error& e) {
        BOOST_TEST(e.message() == "stop it");
    }
    BOOST_CHECK_THROW(f.exception(), corolla::cancelled_error);
    BOOST_CHECK_THROW(f.set_result(), corolla::invalid_state_error);
}

BOOST_AUTO_TEST_CASE(cancelled_error_is_not_a_std_exception) {
    // Like asyncio.CancelledError (a BaseException), so `catch (std::exception&)` cannot swallow it.
    BOOST_TEST(!(std::is_base_of_v<std::exception, corolla::cancelled_error>));
}

BOOST_AUTO_TEST_CASE(done_callbacks_are_scheduled_not_called_inline_in_order) {
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    auto f = loop.create_future<int>();
    std::vector<std::string> calls;
    f.add_done_callback([&](corolla::future<int> g) { calls.push_back("a" + std::to_string(g.result())); });
    const auto id = f.add_done_callback([&](corolla::future<int>) { calls.push_back("removed"); });
    f.add_done_callback([&](corolla::future<int> g) { calls.push_back("c" + std::to_string(g.result())); });
    BOOST_TEST(f.remove_done_callback(id) == 1u);
    BOOST_TEST(f.remove_done_callback(id) == 0u);
    f.set_result(5);
    BOOST_TEST(calls.empty());  // not inline
    loop.run_once(true);
    BOOST_TEST(calls == (std::vector<std::string>{"a5", "c5"}));
    f.add_done_callback([&](corolla::future<int>) { calls.push_back("late"); });  // already done: scheduled
    BOOST_TEST(calls.size() == 2u);
    loop.run_once(true);
    BOOST_TEST(calls.size() == 3u);
}

BOOST_AUTO_TEST_CASE(cancel_schedules_callbacks_too) {
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    auto f = loop.create_future<int>();
    bool saw_cancelled = false;
    f.add_done_callback([&](corolla::future<int> g) { saw_cancelled = g.cancelled(); });
    f.cancel();
    loop.run_once(true);
    BOOST_TEST(saw_cancelled);
}

BOOST_AUTO_TEST_CASE(never_retrieved_exception_is_reported) {
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    std::vector<std::string> reports;
    loop.set_exception_handler(
        [&](corolla::event_loop&, const corolla::exception_context& ctx) { reports.push_back(ctx.message); });
    {
        auto f = loop.create_future<int>();
        f.set_exception(std::make_exception_ptr(std::runtime_error("lost")));
    }
    BOOST_TEST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0] == "Future exception was never retrieved");
    {
        auto f = loop.create_future<int>();
        f.set_exception(std::make_exception_ptr(std::runtime_error("seen")));
        (void)f.exception();
    }
    BOOST_TEST(reports.size() == 1u);
}

BOOST_AUTO_TEST_CASE(future_outliving_its_loop_does_not_report_to_it) {
    corolla::future<int> f;
    {
        corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
        f = loop.create_future<int>();
        f.set_exception(std::make_exception_ptr(std::runtime_error("orphan")));
    }
    f = {};  // must not touch the destroyed loop (ASan would tell)
    BOOST_TEST(!f.valid());
}

BOOST_AUTO_TEST_CASE(move_only_results) {
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    auto f = loop.create_future<std::unique_ptr<int>>();
    loop.call_soon([&] { f.set_result(std::make_unique<int>(9)); });
    auto p = loop.run_until_complete(f);
    BOOST_TEST(*p == 9);
}

BOOST_AUTO_TEST_SUITE_END()
