// task_group (asyncio.TaskGroup): waiting for children, first failure cancelling siblings
// and the body, exception_group aggregation, outside cancels winning with the cancel count
// restored, nested groups, and create_task after exit.
// Written once for both styles (support/style.hpp), run over every backend.
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/core/task_group.hpp>
#include <corolla/coro/with_task_group.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::task_group;
using corolla::test::loop_fixture;
namespace test = corolla::test;

namespace {

using strings = std::vector<std::string>;

TASK(int) worker(strings& log, std::string name, corolla::duration d, int v) {
    try {
        AWAIT(corolla::sleep(d));
    } catch (const corolla::cancelled_error&) {
        log.push_back(name + " cancelled");
        throw;
    }
    log.push_back(name + " done");
    RETURN v;
}

TASK(int) failer(strings& log, std::string name, corolla::duration d) {
    AWAIT(corolla::sleep(d));
    log.push_back(name + " fails");
    throw std::runtime_error(name);
}

/// The what() of each member of an exception_group.
strings members(const corolla::exception_group& g) {
    strings out;
    for (const auto& e : g.exceptions()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            out.emplace_back(x.what());
        }
    }
    return out;
}

}  // namespace

COROLLA_BACKEND_TEST(task_group_waits_for_every_child) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t0 = loop.time();
    auto t = test::spawn(loop, [&]() -> TASK(int) {
        corolla::task<int> a, b;
        int body = CALL(corolla::with_task_group([&](task_group& tg) -> TASK(int) {
            a = tg.create_task(test::code(worker, std::ref(log), "a", 2s, 1));
            b = tg.create_task(test::code(worker, std::ref(log), "b", 1s, 2));
            BOOST_TEST(tg.size() == 2u);
            RETURN 10;
        }));
        BOOST_TEST(std::chrono::duration<double>(loop.time() - t0).count() == 2.0);
        RETURN body + a.result() + b.result();
    });
    BOOST_TEST(loop.run_until_complete(t) == 13);
    BOOST_TEST(log == (strings{"b done", "a done"}));
}

COROLLA_BACKEND_TEST(task_group_first_failure_cancels_siblings_and_body) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = test::spawn(loop, [&]() -> TASK(int) {
        try {
            CALL(corolla::with_task_group([&](task_group& tg) -> TASK(void) {
                tg.create_task(test::code(worker, std::ref(log), "slow", 10s, 1));
                tg.create_task(test::code(failer, std::ref(log), "bad", 1s));
                try {
                    AWAIT(corolla::sleep(20s));
                } catch (const corolla::cancelled_error&) {
                    log.push_back("body cancelled");
                    throw;
                }
            }));
        } catch (const corolla::exception_group& g) {
            log.push_back("group: " + members(g).at(0));
        }
        BOOST_TEST(corolla::current_task().cancelling() == 0u);
        AWAIT(corolla::sleep(1s));  // the group's cancellation of this task was withdrawn
        RETURN 0;
    });
    BOOST_TEST(loop.run_until_complete(t) == 0);
    BOOST_TEST(log == (strings{"bad fails", "slow cancelled", "body cancelled", "group: bad"}));
}

COROLLA_BACKEND_TEST(task_group_aggregates_failures_in_order) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    strings got;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            CALL(corolla::with_task_group([&](task_group& tg) -> TASK(void) {
                tg.create_task(test::code(failer, std::ref(log), "one", 1s));
                tg.create_task(test::code(failer, std::ref(log), "two", 1s));
                RETURN;
            }));
        } catch (const corolla::exception_group& g) {
            got = members(g);
            BOOST_TEST(std::string(g.what()).find("2 sub-exceptions") != std::string::npos);
        }
    });
    loop.run_until_complete(t);
    BOOST_TEST(got == (strings{"one", "two"}));
}

COROLLA_BACKEND_TEST(task_group_body_failure_cancels_children_and_joins_the_group) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    strings got;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            CALL(corolla::with_task_group([&](task_group& tg) -> TASK(void) {
                tg.create_task(test::code(worker, std::ref(log), "child", 10s, 1));
                AWAIT(corolla::sleep(1s));
                throw std::logic_error("body broke");
            }));
        } catch (const corolla::exception_group& g) {
            got = members(g);
        }
    });
    loop.run_until_complete(t);
    BOOST_TEST(log == (strings{"child cancelled"}));
    BOOST_TEST(got == (strings{"body broke"}));
}

COROLLA_BACKEND_TEST(task_group_outside_cancel_in_body_wins_and_keeps_the_count) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            CALL(corolla::with_task_group([&](task_group& tg) -> TASK(void) {
                tg.create_task(test::code(worker, std::ref(log), "child", 10s, 1));
                AWAIT(corolla::sleep(10s));
            }));
        } catch (const corolla::cancelled_error& e) {
            log.push_back("cancelled: " + e.message() + ", count " +
                          std::to_string(corolla::current_task().cancelling()));
            throw;
        }
    });
    loop.call_later(1s, [&] { t.cancel("stop"); });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(log == (strings{"child cancelled", "cancelled: stop, count 1"}));
}

COROLLA_BACKEND_TEST(task_group_outside_cancel_while_joining_cancels_children) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        CALL(corolla::with_task_group([&](task_group& tg) -> TASK(void) {
            tg.create_task(test::code(worker, std::ref(log), "a", 10s, 1));
            tg.create_task(test::code(worker, std::ref(log), "b", 10s, 2));
            RETURN;  // the body is done; the cancel arrives while the group waits
        }));
        log.push_back("not reached");
    });
    loop.call_later(1s, [&] { t.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(t.cancelled());
    BOOST_TEST(log == (strings{"a cancelled", "b cancelled"}));
}

COROLLA_BACKEND_TEST(task_group_failures_with_an_outside_cancel_report_then_stay_cancelled) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            CALL(corolla::with_task_group([&](task_group& tg) -> TASK(void) {
                tg.create_task(test::code(
                    [](strings& l) -> TASK(void) {
                        try {
                            AWAIT(corolla::sleep(10s));
                        } catch (const corolla::cancelled_error&) {
                            l.push_back("child fails while cancelled");
                            throw std::runtime_error("cleanup failed");
                        }
                    },
                    std::ref(log)));
                AWAIT(corolla::sleep(10s));
            }));
        } catch (const corolla::exception_group& g) {
            log.push_back("group: " + members(g).at(0));
        }
        BOOST_TEST(corolla::current_task().cancelling() == 1u);
        try {
            AWAIT(corolla::sleep(1s));
        } catch (const corolla::cancelled_error&) {
            log.push_back("still cancelled");
            throw;
        }
    });
    loop.call_later(1s, [&] { t.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(log == (strings{"child fails while cancelled", "group: cleanup failed", "still cancelled"}));
}

COROLLA_BACKEND_TEST(task_group_create_task_after_exit_is_an_error_and_runs_nothing) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    // The protocol by hand, to keep hold of the group after its scope ended.
    auto u = test::spawn(loop, [&]() -> TASK(int) {
        task_group tg;
        BOOST_CHECK_THROW(tg.create_task(test::code(worker, std::ref(log), "early", 1s, 0)),
                          corolla::invalid_state_error);
        tg.enter();
        tg.create_task(test::code(worker, std::ref(log), "member", 1s, 1));
        tg.begin_exit(nullptr);
        while (tg.size() > 0)
            AWAIT(tg.children_done());
        tg.end_exit();
        BOOST_CHECK_THROW(tg.create_task(test::code(worker, std::ref(log), "late", 1s, 0)),
                          corolla::invalid_state_error);
        AWAIT(corolla::sleep(2s));
        RETURN 0;
    });
    loop.run_until_complete(u);
    BOOST_TEST(log == (strings{"member done"}));
}

COROLLA_BACKEND_TEST(task_group_create_task_while_shutting_down_is_refused) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            CALL(corolla::with_task_group([&](task_group& tg) -> TASK(void) {
                tg.create_task(test::code(failer, std::ref(log), "bad", 1s));
                try {
                    AWAIT(corolla::sleep(5s));
                } catch (const corolla::cancelled_error&) {
                    try {
                        tg.create_task(test::code(worker, std::ref(log), "refused", 1s, 0));
                    } catch (const corolla::invalid_state_error&) {
                        log.push_back("refused");
                    }
                    throw;
                }
            }));
        } catch (const corolla::exception_group&) {
            log.push_back("group");
        }
    });
    loop.run_until_complete(t);
    BOOST_TEST(log == (strings{"bad fails", "refused", "group"}));
}

COROLLA_BACKEND_TEST(nested_task_groups_inner_failure_reaches_the_outer_group) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    strings outer_members;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            CALL(corolla::with_task_group([&](task_group& outer) -> TASK(void) {
                outer.create_task(test::code(worker, std::ref(log), "outer child", 10s, 1));
                CALL(corolla::with_task_group([&](task_group& inner) -> TASK(void) {
                    inner.create_task(test::code(worker, std::ref(log), "inner child", 10s, 2));
                    inner.create_task(test::code(failer, std::ref(log), "inner bad", 1s));
                    RETURN;
                }));
            }));
        } catch (const corolla::exception_group& g) {
            // The outer group holds the inner group's exception_group.
            for (const auto& e : g.exceptions()) {
                try {
                    std::rethrow_exception(e);
                } catch (const corolla::exception_group& inner) {
                    outer_members.push_back("group of " + members(inner).at(0));
                } catch (const std::exception& x) {
                    outer_members.push_back(x.what());
                }
            }
        }
        BOOST_TEST(corolla::current_task().cancelling() == 0u);
    });
    loop.run_until_complete(t);
    BOOST_TEST(log == (strings{"inner bad fails", "inner child cancelled", "outer child cancelled"}));
    BOOST_TEST(outer_members == (strings{"group of inner bad"}));
}

COROLLA_BACKEND_TEST(nested_task_groups_outer_failure_cancels_the_inner_scope) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    strings got;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        try {
            CALL(corolla::with_task_group([&](task_group& outer) -> TASK(void) {
                outer.create_task(test::code(failer, std::ref(log), "outer bad", 1s));
                try {
                    CALL(corolla::with_task_group([&](task_group& inner) -> TASK(void) {
                        inner.create_task(test::code(worker, std::ref(log), "inner child", 10s, 2));
                        AWAIT(corolla::sleep(10s));
                    }));
                } catch (const corolla::cancelled_error&) {
                    log.push_back("inner group cancelled");
                    throw;
                }
            }));
        } catch (const corolla::exception_group& g) {
            got = members(g);
        }
        BOOST_TEST(corolla::current_task().cancelling() == 0u);
    });
    loop.run_until_complete(t);
    BOOST_TEST(log == (strings{"outer bad fails", "inner child cancelled", "inner group cancelled"}));
    BOOST_TEST(got == (strings{"outer bad"}));
}

COROLLA_BACKEND_TEST(task_group_adopts_tasks_created_elsewhere) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = test::spawn(loop, [&]() -> TASK(int) {
        auto outside = test::spawn(loop, worker, std::ref(log), std::string("adopted"), corolla::duration(2s), 5);
        int v = CALL(corolla::with_task_group([&](task_group& tg) -> TASK(int) {
            tg.adopt(outside);
            RETURN 1;
        }));
        RETURN v + outside.result();
    });
    BOOST_TEST(loop.run_until_complete(t) == 6);
    BOOST_TEST(log == (strings{"adopted done"}));
}
