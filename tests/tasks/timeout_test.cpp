// timeout / timeout_at scopes (asyncio.timeout): expiry, nesting (only the expired scope
// raises timeout_error), outside cancels winning, rescheduling, a body that suppresses the
// cancellation, and a timeout inside the cleanup of a cancelled task.
// Written once for both styles (support/style.hpp), run over every backend.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/timeout_scope.hpp>
#include <corolla/coro/timeout.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::timeout_scope;
using corolla::test::loop_fixture;
namespace test = corolla::test;

namespace {

double seconds(corolla::event_loop& loop, corolla::time_point t0) {
    return std::chrono::duration<double>(loop.time() - t0).count();
}

/// Runs `fn` in a task and returns what it threw as text ("ok:<value>" otherwise).
template <class F>
std::string outcome_of(corolla::event_loop& loop, F fn) {
    auto t = test::spawn(loop, fn);
    try {
        return "ok:" + std::to_string(loop.run_until_complete(t));
    } catch (const corolla::timeout_error&) {
        return "timeout";
    } catch (const corolla::cancelled_error&) {
        return "cancelled";
    }
}

}  // namespace

COROLLA_BACKEND_TEST(timeout_body_finishing_in_time_returns_its_value) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        int v = CALL(corolla::timeout(5s, [&]() -> TASK(int) {
            AWAIT(corolla::sleep(1s));
            RETURN 42;
        }));
        RETURN v;
    });
    BOOST_TEST(r == "ok:42");
    BOOST_TEST(loop.stats().timers == 0u);
}

COROLLA_BACKEND_TEST(timeout_expiry_cancels_the_body_and_raises_timeout_error) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    std::vector<std::string> log;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        int v = CALL(corolla::timeout(2s, [&]() -> TASK(int) {
            try {
                AWAIT(corolla::sleep(10s));
            } catch (const corolla::cancelled_error&) {
                log.push_back("body cancelled at " + std::to_string(seconds(loop, t0)));
                throw;
            }
            RETURN 1;
        }));
        RETURN v;
    });
    BOOST_TEST(r == "timeout");
    BOOST_TEST(log == (std::vector<std::string>{"body cancelled at 2.000000"}));
}

COROLLA_BACKEND_TEST(timeout_error_is_caught_in_the_task_which_goes_on_uncancelled) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(int) {
        try {
            CALL(corolla::timeout(1s, [&]() -> TASK(void) { AWAIT(corolla::sleep(5s)); }));
        } catch (const corolla::timeout_error&) {
        }
        auto self = corolla::current_task();
        BOOST_TEST(self.cancelling() == 0u);
        AWAIT(corolla::sleep(1s));  // not cancelled again
        RETURN 7;
    });
    BOOST_TEST(loop.run_until_complete(t) == 7);
}

COROLLA_BACKEND_TEST(nested_inner_expiry_is_reported_by_the_inner_scope_only) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> log;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        int v = CALL(corolla::timeout(10s, [&]() -> TASK(int) {
            try {
                CALL(corolla::timeout(1s, [&]() -> TASK(void) { AWAIT(corolla::sleep(5s)); }));
            } catch (const corolla::timeout_error&) {
                log.push_back("inner timeout");
            }
            AWAIT(corolla::sleep(2s));  // the outer scope is not disturbed
            RETURN 3;
        }));
        RETURN v;
    });
    BOOST_TEST(r == "ok:3");
    BOOST_TEST(log == (std::vector<std::string>{"inner timeout"}));
}

COROLLA_BACKEND_TEST(nested_outer_expiry_passes_the_inner_scope_as_a_cancellation) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> log;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        try {
            CALL(corolla::timeout(1s, [&]() -> TASK(void) {
                try {
                    CALL(corolla::timeout(5s, [&]() -> TASK(void) { AWAIT(corolla::sleep(10s)); }));
                } catch (const corolla::timeout_error&) {
                    log.push_back("inner saw timeout");
                } catch (const corolla::cancelled_error&) {
                    log.push_back("inner saw cancel");
                    throw;
                }
            }));
        } catch (const corolla::timeout_error&) {
            log.push_back("outer timeout");
        }
        RETURN 0;
    });
    BOOST_TEST(r == "ok:0");
    BOOST_TEST(log == (std::vector<std::string>{"inner saw cancel", "outer timeout"}));
}

COROLLA_BACKEND_TEST(nested_scopes_expiring_together_raise_once_from_the_outer) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> log;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        auto when = loop.time() + 2s;
        try {
            CALL(corolla::timeout_at(when, [&]() -> TASK(void) {
                try {
                    CALL(corolla::timeout_at(when, [&]() -> TASK(void) { AWAIT(corolla::sleep(10s)); }));
                } catch (const corolla::timeout_error&) {
                    log.push_back("inner timeout");
                } catch (const corolla::cancelled_error&) {
                    log.push_back("inner cancel");
                    throw;
                }
            }));
        } catch (const corolla::timeout_error&) {
            log.push_back("outer timeout");
        }
        RETURN static_cast<int>(corolla::current_task().cancelling());
    });
    BOOST_TEST(r == "ok:0");
    BOOST_TEST(log == (std::vector<std::string>{"inner cancel", "outer timeout"}));
}

COROLLA_BACKEND_TEST(an_outside_cancel_wins_over_the_timeout) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(int) {
        CALL(corolla::timeout(10s, [&]() -> TASK(void) { AWAIT(corolla::sleep(20s)); }));
        RETURN 0;
    });
    loop.call_later(1s, [&] { t.cancel("from outside"); });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(t.cancelled());
}

COROLLA_BACKEND_TEST(an_outside_cancel_in_the_expiry_iteration_still_wins) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(int) {
        CALL(corolla::timeout(2s, [&]() -> TASK(void) { AWAIT(corolla::sleep(20s)); }));
        RETURN 0;
    });
    // Scheduled after the scope's timer for the same deadline: both land in one iteration.
    loop.call_later(2s, [&] { t.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(t.cancelled());
}

COROLLA_BACKEND_TEST(reschedule_moves_the_deadline_and_when_reports_it) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    std::vector<std::string> log;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        try {
            CALL(corolla::timeout(1s, [&](timeout_scope& cm) -> TASK(void) {
                BOOST_TEST((cm.when() == std::optional<corolla::time_point>(t0 + 1s)));
                cm.reschedule(loop.time() + 3s);
                AWAIT(corolla::sleep(2s));
                log.push_back("still running at " + std::to_string(seconds(loop, t0)));
                cm.reschedule(std::nullopt);  // no deadline any more
                AWAIT(corolla::sleep(5s));
                cm.reschedule(loop.time() + 1s);
                AWAIT(corolla::sleep(5s));
            }));
        } catch (const corolla::timeout_error&) {
            log.push_back("timeout at " + std::to_string(seconds(loop, t0)));
        }
        RETURN 0;
    });
    BOOST_TEST(r == "ok:0");
    BOOST_TEST(log == (std::vector<std::string>{"still running at 2.000000", "timeout at 8.000000"}));
}

COROLLA_BACKEND_TEST(reschedule_after_expiry_and_enter_outside_a_task_are_errors) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    timeout_scope outside(std::nullopt);
    BOOST_CHECK_THROW(outside.enter(), corolla::invalid_state_error);
    BOOST_CHECK_THROW(outside.reschedule(loop.time()), corolla::invalid_state_error);
    std::vector<std::string> log;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        CALL(corolla::timeout(1s, [&](timeout_scope& cm) -> TASK(void) {
            try {
                AWAIT(corolla::sleep(5s));
            } catch (const corolla::cancelled_error&) {
                log.push_back(cm.expired() ? "expired" : "not expired");
                try {
                    cm.reschedule(loop.time() + 10s);
                } catch (const corolla::invalid_state_error&) {
                    log.push_back("reschedule refused");
                }
                throw;
            }
        }));
        RETURN 0;
    });
    BOOST_TEST(r == "timeout");
    BOOST_TEST(log == (std::vector<std::string>{"expired", "reschedule refused"}));
}

COROLLA_BACKEND_TEST(a_body_that_suppresses_the_cancel_returns_normally) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    bool expired = false;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        int v = CALL(corolla::timeout(1s, [&](timeout_scope& cm) -> TASK(int) {
            int got = 0;
            try {
                AWAIT(corolla::sleep(5s));
            } catch (const corolla::cancelled_error&) {
                got = 9;  // swallowed: no timeout_error
            }
            expired = cm.expired();
            RETURN got;
        }));
        BOOST_TEST(corolla::current_task().cancelling() == 0u);
        RETURN v;
    });
    BOOST_TEST(r == "ok:9");
    BOOST_TEST(expired);
}

COROLLA_BACKEND_TEST(timeout_during_cleanup_after_a_cancel) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    std::vector<std::string> log;
    auto t = test::spawn(loop, [&]() -> TASK(int) {
        bool cancelled = false;
        try {
            AWAIT(corolla::sleep(10s));
        } catch (const corolla::cancelled_error&) {
            cancelled = true;
        }
        if (cancelled) {
            // Cleanup with its own deadline, while the task's cancellation is pending.
            try {
                CALL(corolla::timeout(2s, [&]() -> TASK(void) { AWAIT(corolla::sleep(5s)); }));
                log.push_back("cleanup finished");
            } catch (const corolla::timeout_error&) {
                log.push_back("cleanup timed out at " + std::to_string(seconds(loop, t0)));
            }
            BOOST_TEST(corolla::current_task().cancelling() == 1u);
            throw corolla::cancelled_error("re-raised after cleanup");
        }
        RETURN 0;
    });
    loop.call_later(1s, [&] { t.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(t.cancelled());
    BOOST_TEST(log == (std::vector<std::string>{"cleanup timed out at 3.000000"}));
}

COROLLA_BACKEND_TEST(a_deadline_already_past_cancels_at_the_first_suspension) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto sync = outcome_of(loop, [&]() -> TASK(int) {
        int v = CALL(corolla::timeout(0s, [&]() -> TASK(int) { RETURN 5; }));
        RETURN v;
    });
    BOOST_TEST(sync == "ok:5");
    auto suspending = outcome_of(loop, [&]() -> TASK(int) {
        int v = CALL(corolla::timeout_at(loop.time() - 1s, [&]() -> TASK(int) {
            AWAIT(corolla::sleep(0s));
            RETURN 5;
        }));
        RETURN v;
    });
    BOOST_TEST(suspending == "timeout");
}

COROLLA_BACKEND_TEST(timeout_around_gather_cancels_the_children) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<corolla::task<int>> kids;
    auto r = outcome_of(loop, [&]() -> TASK(int) {
        auto slow = [](corolla::duration d) -> TASK(int) {
            AWAIT(corolla::sleep(d));
            RETURN 1;
        };
        kids.push_back(test::spawn(loop, slow, 1s));
        kids.push_back(test::spawn(loop, slow, 10s));
        auto all = corolla::gather(kids[0], kids[1]);
        CALL(corolla::timeout(2s, [&]() -> TASK(void) { AWAIT(all); }));
        RETURN 0;
    });
    BOOST_TEST(r == "timeout");
    BOOST_TEST(kids[0].result() == 1);
    BOOST_TEST(kids[1].cancelled());
}
