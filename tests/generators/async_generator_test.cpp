// async_generator<T> inside tasks: awaiting in the body, cancellation of the consumer
// landing in the body, abandonment, aclose / athrow, misuse. Written once with
// support/style.hpp for the execution styles (the body spelled with
// support/generator_style.hpp), run over every backend.
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/coro/async_generator.hpp>

#include "support/backend_matrix.hpp"
#include "support/generator_style.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::generator_exit;
using corolla::generator_state;
using corolla::invalid_state_error;
using corolla::test::loop_fixture;
namespace test = corolla::test;

namespace {

using log_t = std::vector<std::string>;

struct guard {
    log_t* log;
    std::string name;
    guard(log_t* l, std::string n) : log(l), name(std::move(n)) {}
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() { log->push_back(name + " destroyed"); }
};

double seconds(corolla::event_loop& loop, corolla::time_point t0) {
    return std::chrono::duration<double>(loop.time() - t0).count();
}

ASYNC_GEN(int) ticker(int n, corolla::duration every) {
    for (int i = 1; i <= n; ++i) {
        AWAIT(corolla::sleep(every));
        YIELD(i);
    }
}

ASYNC_GEN(int) synchronous(int n) {
    for (int i = 0; i < n; ++i)
        YIELD(i);
}

ASYNC_GEN(std::string) watched(log_t& log) {
    guard g(&log, "body guard");
    try {
        YIELD(std::string("first"));
        AWAIT(corolla::sleep(10s));
        YIELD(std::string("second"));
    } catch (const corolla::cancelled_error& e) {
        log.push_back(std::string("body cancelled: ") + e.what());
        throw;
    } catch (const generator_exit&) {
        log.push_back("body generator_exit");
        throw;
    }
}

ASYNC_GEN(int) async_cleanup(log_t& log) {
    try {
        YIELD(1);
        YIELD(2);
    } catch (const generator_exit&) {
        log.push_back("cleanup start");
    }
    AWAIT(corolla::sleep(1s));  // asynchronous cleanup after the catch
    log.push_back("cleanup end");
}

ASYNC_GEN(int) ignores_close() {
    for (;;) {
        bool closed = false;
        try {
            YIELD(1);
        } catch (const generator_exit&) {
            closed = true;
        }
        if (closed) AWAIT(corolla::sleep(1s));
    }
}

ASYNC_GEN(int) fails_after_sleep() {
    YIELD(1);
    AWAIT(corolla::sleep(1s));
    throw std::runtime_error("body failed");
}

ASYNC_GEN(int) doubled(ASYNC_GEN(int) inner) {
    while (auto v = AWAIT(inner.next()))
        YIELD(*v * 2);
}

}  // namespace

COROLLA_BACKEND_TEST(async_generator_body_awaits_between_items) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    std::vector<double> at;
    auto main = test::spawn(loop, [&]() -> TASK(std::vector<int>) {
        std::vector<int> items;
        auto gen = ticker(3, 1s);
        BOOST_TEST((gen.state() == generator_state::created));
        while (auto v = AWAIT(gen.next())) {
            items.push_back(*v);
            at.push_back(seconds(loop, t0));
        }
        BOOST_TEST((gen.state() == generator_state::closed));
        RETURN items;
    });
    BOOST_TEST(loop.run_until_complete(main) == (std::vector<int>{1, 2, 3}));
    BOOST_TEST(at == (std::vector<double>{1.0, 2.0, 3.0}));
}

COROLLA_BACKEND_TEST(async_generator_that_never_suspends_runs_on_a_constant_stack) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto main = test::spawn(loop, [&]() -> TASK(long) {
        long sum = 0;
        auto gen = synchronous(1'000'000);
        while (auto v = AWAIT(gen.next()))
            sum += *v;
        RETURN sum;
    });
    BOOST_TEST(loop.run_until_complete(main) == 499'999'500'000L);
}

COROLLA_BACKEND_TEST(state_is_running_while_the_body_awaits_and_a_second_next_is_refused) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto gen = ticker(2, 1s);
    auto consumer = test::spawn(loop, [&]() -> TASK(int) {
        auto v = AWAIT(gen.next());
        RETURN* v;
    });
    auto intruder = test::spawn(loop, [&]() -> TASK(std::string) {
        AWAIT(corolla::sleep(500ms));
        BOOST_TEST((gen.state() == generator_state::running));
        try {
            auto v = AWAIT(gen.next());
            RETURN std::string(v ? "got an item" : "got the end");
        } catch (const invalid_state_error& e) {
            RETURN std::string(e.what());
        }
    });
    BOOST_TEST(loop.run_until_complete(consumer) == 1);
    BOOST_TEST(intruder.result() == std::string("async_generator already running: a next() is in progress"));
    BOOST_TEST((gen.state() == generator_state::suspended));
}

COROLLA_BACKEND_TEST(cancelling_the_consumer_delivers_cancelled_error_inside_the_body) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    log_t log;
    auto consumer = test::spawn(loop, [&]() -> TASK(void) {
        auto gen = watched(log);
        while (auto v = AWAIT(gen.next()))
            log.push_back("item " + *v);
        log.push_back("not reached");
        RETURN;
    });
    loop.call_later(1s, [&] { consumer.cancel("stop it"); });
    BOOST_CHECK_THROW(loop.run_until_complete(consumer), corolla::cancelled_error);
    BOOST_TEST(consumer.cancelled());
    BOOST_TEST(log == (log_t{"item first", "body cancelled: stop it", "body guard destroyed"}));
}

COROLLA_BACKEND_TEST(a_body_may_catch_the_cancellation_and_end_normally) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto consumer = test::spawn(loop, [&]() -> TASK(std::vector<int>) {
        auto gen = []() -> ASYNC_GEN(int) {
            YIELD(1);
            try {
                AWAIT(corolla::sleep(10s));
            } catch (const corolla::cancelled_error&) {
                corolla::current_task().uncancel();
            }
            YIELD(2);
        }();
        std::vector<int> items;
        while (auto v = AWAIT(gen.next()))
            items.push_back(*v);
        RETURN items;
    });
    loop.call_later(1s, [&] { consumer.cancel(); });
    BOOST_TEST(loop.run_until_complete(consumer) == (std::vector<int>{1, 2}));
}

COROLLA_BACKEND_TEST(an_abandoned_generator_runs_its_destructors_and_never_resumes) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    log_t log;
    auto consumer = test::spawn(loop, [&]() -> TASK(void) {
        {
            auto gen = watched(log);
            auto v = AWAIT(gen.next());
            log.push_back("item " + *v);
        }  // dropped while suspended at its first yield
        log.push_back("consumer goes on");
        AWAIT(corolla::sleep(20s));  // long past the body's own sleep
        RETURN;
    });
    loop.run_until_complete(consumer);
    BOOST_TEST(log == (log_t{"item first", "body guard destroyed", "consumer goes on"}));
}

COROLLA_BACKEND_TEST(a_generator_dropped_right_after_an_item_it_yielded_from_a_later_step) {
    // The item comes after the body awaited, so the body hands it over by resuming the
    // consumer from the task's step; the consumer then drops the generator at once.
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    log_t log;
    auto consumer = test::spawn(loop, [&]() -> TASK(int) {
        int first = 0;
        {
            auto gen = [](log_t& l) -> ASYNC_GEN(int) {
                guard g(&l, "body guard");
                AWAIT(corolla::sleep(1s));
                YIELD(1);
                AWAIT(corolla::sleep(1s));
                l.push_back("not reached");
            }(log);
            first = *AWAIT(gen.next());
        }
        AWAIT(corolla::sleep(5s));
        RETURN first;
    });
    BOOST_TEST(loop.run_until_complete(consumer) == 1);
    BOOST_TEST(log == (log_t{"body guard destroyed"}));
}

COROLLA_BACKEND_TEST(aclose_throws_generator_exit_in_and_waits_for_async_cleanup) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    log_t log;
    auto consumer = test::spawn(loop, [&]() -> TASK(void) {
        auto gen = async_cleanup(log);
        auto v = AWAIT(gen.next());
        log.push_back("item " + std::to_string(*v));
        AWAIT(gen.aclose());
        BOOST_TEST((gen.state() == generator_state::closed));
        log.push_back("closed");
        auto after = AWAIT(gen.next());
        BOOST_TEST(!after.has_value());
        AWAIT(gen.aclose());  // closing again does nothing
        RETURN;
    });
    loop.run_until_complete(consumer);
    BOOST_TEST(seconds(loop, t0) == 1.0);
    BOOST_TEST(log == (log_t{"item 1", "cleanup start", "cleanup end", "closed"}));
}

COROLLA_BACKEND_TEST(aclose_of_a_created_generator_discards_it_unrun) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    log_t log;
    auto consumer = test::spawn(loop, [&]() -> TASK(void) {
        auto gen = watched(log);
        AWAIT(gen.aclose());
        BOOST_TEST((gen.state() == generator_state::closed));
        RETURN;
    });
    loop.run_until_complete(consumer);
    BOOST_TEST(log.empty());
}

COROLLA_BACKEND_TEST(yielding_during_aclose_is_an_invalid_state_error) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto consumer = test::spawn(loop, [&]() -> TASK(std::string) {
        auto gen = ignores_close();
        AWAIT(gen.next());
        try {
            AWAIT(gen.aclose());
        } catch (const invalid_state_error& e) {
            BOOST_TEST((gen.state() == generator_state::closed));
            RETURN std::string(e.what());
        }
        RETURN std::string("no error");
    });
    BOOST_TEST(loop.run_until_complete(consumer) ==
               std::string("async_generator ignored generator_exit: it yielded during aclose()"));
}

COROLLA_BACKEND_TEST(athrow_raises_at_the_yield_point) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto consumer = test::spawn(loop, [&]() -> TASK(std::vector<std::string>) {
        auto gen = []() -> ASYNC_GEN(std::string) {
            for (;;) {
                std::string caught;
                try {
                    YIELD(std::string("waiting"));
                } catch (const std::runtime_error& e) {
                    caught = e.what();
                }
                if (!caught.empty()) {
                    AWAIT(corolla::sleep(1s));
                    YIELD("handled " + caught);
                }
            }
        }();
        std::vector<std::string> seen;
        seen.push_back(*AWAIT(gen.next()));
        seen.push_back(*AWAIT(gen.athrow(std::runtime_error("oops"))));
        seen.push_back(*AWAIT(gen.next()));
        RETURN seen;
    });
    BOOST_TEST(loop.run_until_complete(consumer) == (std::vector<std::string>{"waiting", "handled oops", "waiting"}));
}

COROLLA_BACKEND_TEST(an_exception_from_the_body_propagates_from_next_and_closes) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto consumer = test::spawn(loop, [&]() -> TASK(std::string) {
        auto gen = fails_after_sleep();
        AWAIT(gen.next());
        std::string what;
        try {
            AWAIT(gen.next());
        } catch (const std::runtime_error& e) {
            what = e.what();
        }
        BOOST_TEST((gen.state() == generator_state::closed));
        auto again = AWAIT(gen.next());
        BOOST_TEST(!again.has_value());
        RETURN what;
    });
    BOOST_TEST(loop.run_until_complete(consumer) == std::string("body failed"));
}

COROLLA_BACKEND_TEST(async_generators_compose) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    auto consumer = test::spawn(loop, [&]() -> TASK(std::vector<int>) {
        auto gen = doubled(ticker(3, 1s));
        std::vector<int> items;
        while (auto v = AWAIT(gen.next()))
            items.push_back(*v);
        RETURN items;
    });
    BOOST_TEST(loop.run_until_complete(consumer) == (std::vector<int>{2, 4, 6}));
    BOOST_TEST(seconds(loop, t0) == 3.0);
}

#if defined(COROLLA_TEST_STYLE_CORO)
// Stackless only: drives a coroutine by hand.
COROLLA_BACKEND_TEST(awaiting_in_a_body_outside_any_task_is_an_invalid_state_error) {
    // Driven by hand, with no task: the body's await fails, and that reaches the consumer.
    auto consumer = []() -> TASK(std::string) {
        auto gen = ticker(1, 1s);
        try {
            AWAIT(gen.next());
        } catch (const invalid_state_error&) {
            RETURN std::string("refused");
        }
        RETURN std::string("ran");
    };
    auto c = consumer();
    std::string result;
    auto outer = [](TASK(std::string) c, std::string& out) -> TASK(void) { out = AWAIT(std::move(c)); }(std::move(c),
                                                                                                        result);
    auto h = outer.release();
    h.resume();
    BOOST_TEST(h.done());
    h.destroy();
    BOOST_TEST(result == std::string("refused"));
}
#endif
