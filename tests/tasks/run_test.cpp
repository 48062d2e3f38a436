// run(main) (asyncio.run): result and exception of the main task, leftovers cancelled and
// awaited on the way out, shutdown failures reported, Ctrl+C cancelling the main task,
// run() refused inside a running loop; to_thread / run_in_executor from the loop's side.
// Written once for both styles (support/style.hpp), run over every backend.
#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/core/thread_pool.hpp>
#include <corolla/core/to_thread.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
namespace test = corolla::test;
using strings = std::vector<std::string>;

namespace {

corolla::run_options options_for(const std::string& backend) {
    corolla::run_options o;
    o.loop.backend = backend;
    o.loop.clock = std::make_shared<corolla::virtual_clock>();
    return o;
}

TASK(void) background(strings& log, std::string name) {
    try {
        AWAIT(corolla::sleep(1h));
    } catch (const corolla::cancelled_error&) {
        log.push_back(name + " cleaned up");
        throw;
    }
}

/// SIGINT's default action for the test's duration (the test framework may catch it).
struct default_sigint {
    struct sigaction old {};
    default_sigint() {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGINT, &dfl, &old);
    }
    ~default_sigint() { ::sigaction(SIGINT, &old, nullptr); }
};

}  // namespace

COROLLA_BACKEND_TEST(run_returns_the_main_result_and_cancels_leftovers) {
    strings log;
    int v = test::run_main(options_for(backend), [&]() -> TASK(int) {
        test::spawn(*corolla::event_loop::running(), background, std::ref(log), std::string("a"));
        test::spawn(*corolla::event_loop::running(), background, std::ref(log), std::string("b"));
        AWAIT(corolla::sleep(1s));
        BOOST_TEST(corolla::current_task().get_name() == "main");
        RETURN 42;
    });
    BOOST_TEST(v == 42);
    BOOST_TEST(log == (strings{"a cleaned up", "b cleaned up"}));
    BOOST_TEST(corolla::event_loop::running() == nullptr);
}

COROLLA_BACKEND_TEST(run_propagates_the_main_exception_after_cleanup) {
    strings log;
    BOOST_CHECK_THROW(test::run_main(options_for(backend),
                                     [&]() -> TASK(int) {
                                         test::spawn(*corolla::event_loop::running(), background, std::ref(log),
                                                     std::string("left"));
                                         AWAIT(corolla::sleep(1s));
                                         throw std::domain_error("main failed");
                                     }),
                      std::domain_error);
    BOOST_TEST(log == (strings{"left cleaned up"}));
}

COROLLA_BACKEND_TEST(run_reports_leftovers_failing_during_shutdown) {
    strings reports;
    test::run_main(options_for(backend), [&]() -> TASK(void) {
        auto& loop = *corolla::event_loop::running();
        loop.set_exception_handler(
            [&](corolla::event_loop&, const corolla::exception_context& c) { reports.push_back(c.message); });
        test::spawn_named(loop, "stubborn", []() -> TASK(void) {
            try {
                AWAIT(corolla::sleep(1h));
            } catch (const corolla::cancelled_error&) {
                throw std::runtime_error("cleanup broke");
            }
        });
        AWAIT(corolla::sleep(0s));
        RETURN;
    });
    BOOST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0].find("during run() shutdown in task 'stubborn'") != std::string::npos);
}

COROLLA_BACKEND_TEST(ctrl_c_cancels_the_main_task_and_run_raises_keyboard_interrupt) {
    default_sigint guard;
    strings log;
    BOOST_CHECK_THROW(test::run_main(options_for(backend),
                                     [&]() -> TASK(void) {
                                         test::spawn(*corolla::event_loop::running(), background, std::ref(log),
                                                     std::string("worker"));
                                         ::raise(SIGINT);
                                         try {
                                             AWAIT(corolla::sleep(1h));
                                         } catch (const corolla::cancelled_error&) {
                                             log.push_back("main cancelled");
                                             throw;
                                         }
                                     }),
                      corolla::keyboard_interrupt);
    BOOST_TEST(log == (strings{"main cancelled", "worker cleaned up"}));
    // The handler is gone again: SIGINT has its default action.
    struct sigaction now {};
    ::sigaction(SIGINT, nullptr, &now);
    BOOST_TEST((now.sa_handler == SIG_DFL));
}

COROLLA_BACKEND_TEST(ctrl_c_handled_by_main_returns_normally) {
    default_sigint guard;
    int v = test::run_main(options_for(backend), [&]() -> TASK(int) {
        ::raise(SIGINT);
        int got = 0;
        try {
            AWAIT(corolla::sleep(1h));
        } catch (const corolla::cancelled_error&) {
            got = 130;  // like a program that shuts down cleanly on Ctrl+C
        }
        RETURN got;
    });
    BOOST_TEST(v == 130);
}

COROLLA_BACKEND_TEST(run_inside_a_running_loop_is_refused) {
    bool refused = false;
    test::run_main(options_for(backend), [&]() -> TASK(void) {
        try {
            test::run_main(corolla::run_options{}, []() -> TASK(void) { RETURN; });
        } catch (const corolla::loop_running_error&) {
            refused = true;
        }
        RETURN;
    });
    BOOST_TEST(refused);
}

COROLLA_BACKEND_TEST(to_thread_runs_off_the_loop_thread_and_returns_its_value) {
    auto loop_thread = std::this_thread::get_id();
    auto r = test::run_main(options_for(backend), [&]() -> TASK(std::string) {
        auto worker_thread = AWAIT(corolla::to_thread([] { return std::this_thread::get_id(); }));
        BOOST_TEST((worker_thread != loop_thread));
        std::string s = AWAIT(
            corolla::to_thread([](std::string a, int n) { return a + std::to_string(n); }, std::string("job-"), 7));
        RETURN s;
    });
    BOOST_TEST(r == "job-7");
}

COROLLA_BACKEND_TEST(to_thread_passes_the_exception_to_the_awaiting_task) {
    auto r = test::run_main(options_for(backend), [&]() -> TASK(std::string) {
        try {
            AWAIT(corolla::to_thread([]() -> int { throw std::out_of_range("from the worker"); }));
        } catch (const std::out_of_range& e) {
            RETURN std::string(e.what());
        }
        RETURN std::string("no exception");
    });
    BOOST_TEST(r == "from the worker");
}

COROLLA_BACKEND_TEST(run_in_executor_cancelled_before_start_never_runs) {
    corolla::thread_pool pool(1);
    std::atomic<bool> release{false};
    std::atomic<int> ran{0};
    test::run_main(options_for(backend), [&]() -> TASK(void) {
        auto& loop = *corolla::event_loop::running();
        auto busy = corolla::run_in_executor(loop, pool, [&] {
            while (!release.load())
                std::this_thread::yield();
            return 1;
        });
        auto queued = corolla::run_in_executor(loop, pool, [&] { ran.fetch_add(1); });
        BOOST_TEST(queued.cancel());
        release.store(true);
        int b = AWAIT(busy);
        BOOST_TEST(b == 1);
        BOOST_TEST(queued.cancelled());
        RETURN;
    });
    pool.shutdown(true);
    BOOST_TEST(ran.load() == 0);
}
