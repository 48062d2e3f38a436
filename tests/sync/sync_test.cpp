// lock, semaphore, bounded_semaphore, event and barrier: behaviour, FIFO fairness and the
// cancellation-safety rules (a cancelled waiter never strands a lock, permit or wakeup).
// Written once for both styles (support/style.hpp), run over every backend, virtual clock.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/sync/sync.hpp>

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

/// Takes the lock, logs `name`, holds it for `hold`, releases it.
TASK(void) hold_lock(corolla::lock& mu, std::vector<std::string>& log, std::string name, corolla::duration hold) {
    AWAIT(mu.acquire());
    log.push_back(name);
    AWAIT(corolla::sleep(hold));
    mu.release();
    RETURN;
}

/// Waits for the lock and logs whether it got it or was cancelled.
TASK(void) acquire_or_log_cancel(corolla::lock& mu, std::vector<std::string>& log, std::string name) {
    try {
        AWAIT(mu.acquire());
    } catch (const corolla::cancelled_error&) {
        log.push_back(name + " cancelled");
        throw;
    }
    log.push_back(name);
    mu.release();
    RETURN;
}

TASK(void)
take_permit(corolla::semaphore& sem, std::vector<std::string>& log, std::string name, corolla::duration hold) {
    try {
        auto permit = AWAIT(sem.scoped());
        log.push_back(name);
        AWAIT(corolla::sleep(hold));
    } catch (const corolla::cancelled_error&) {
        log.push_back(name + " cancelled");
        throw;
    }
    RETURN;
}

}  // namespace

// --- lock ---------------------------------------------------------------------------------

COROLLA_BACKEND_TEST(lock_serialises_holders_in_fifo_order) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    std::vector<std::string> log;
    auto t0 = loop.time();
    std::vector<corolla::future<void>> ts;
    for (std::string name : {"a", "b", "c", "d"})
        ts.push_back(test::spawn(loop, hold_lock, std::ref(mu), std::ref(log), name, corolla::duration(1s)));
    loop.run_until_complete(corolla::gather(loop, ts));
    BOOST_TEST(log == (std::vector<std::string>{"a", "b", "c", "d"}));
    BOOST_TEST(seconds(loop, t0) == 4.0);
    BOOST_TEST(!mu.locked());
}

COROLLA_BACKEND_TEST(lock_release_hands_over_so_a_later_arrival_cannot_barge) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(mu.acquire());
        auto waiter = test::spawn(loop, acquire_or_log_cancel, std::ref(mu), std::ref(log), std::string("waiter"));
        AWAIT(corolla::sleep(0s));  // the waiter is in line
        mu.release();
        // Released but handed over: nobody else can take it before the waiter runs.
        BOOST_TEST(mu.locked());
        BOOST_TEST(!mu.try_acquire());
        AWAIT(waiter);
        BOOST_TEST(!mu.locked());
        BOOST_TEST(mu.try_acquire());
        mu.release();
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"waiter"}));
}

COROLLA_BACKEND_TEST(lock_scoped_guard_releases_on_exit_and_on_exception) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        {
            auto g = AWAIT(mu.scoped());
            BOOST_TEST(g.owns());
            BOOST_TEST(mu.locked());
        }
        BOOST_TEST(!mu.locked());
        try {
            auto g = AWAIT(mu.scoped());
            throw std::runtime_error("inside");
        } catch (const std::runtime_error&) {
        }
        BOOST_TEST(!mu.locked());
        auto g = AWAIT(mu.scoped());
        g.release();
        BOOST_TEST(!g.owns());
        BOOST_TEST(!mu.locked());
        RETURN;
    });
    loop.run_until_complete(main);
}

COROLLA_BACKEND_TEST(lock_release_when_not_held_is_an_invalid_state_error) {
    loop_fixture fx(backend);
    corolla::lock mu;
    BOOST_CHECK_THROW(mu.release(), corolla::invalid_state_error);
    BOOST_TEST(mu.try_acquire());
    mu.release();
    BOOST_CHECK_THROW(mu.release(), corolla::invalid_state_error);
}

COROLLA_BACKEND_TEST(lock_waiter_cancelled_in_the_iteration_it_was_handed_the_lock_passes_it_on) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(mu.acquire());
        auto b = test::spawn(loop, acquire_or_log_cancel, std::ref(mu), std::ref(log), std::string("b"));
        auto c = test::spawn(loop, acquire_or_log_cancel, std::ref(mu), std::ref(log), std::string("c"));
        AWAIT(corolla::sleep(0s));
        mu.release();  // handed to b ...
        b.cancel();    // ... which is cancelled before it runs: c must get the lock
        std::vector<corolla::future<void>> both{b, c};
        AWAIT(corolla::wait(loop, both));
        BOOST_TEST(b.cancelled());
        BOOST_TEST(!c.cancelled());
        BOOST_TEST(!mu.locked());
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"b cancelled", "c"}));
}

COROLLA_BACKEND_TEST(lock_waiter_cancelled_while_waiting_leaves_the_line) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(mu.acquire());
        auto b = test::spawn(loop, acquire_or_log_cancel, std::ref(mu), std::ref(log), std::string("b"));
        auto c = test::spawn(loop, acquire_or_log_cancel, std::ref(mu), std::ref(log), std::string("c"));
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(mu.waiting() == 2u);
        b.cancel();
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(mu.waiting() == 1u);
        mu.release();
        AWAIT(c);
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"b cancelled", "c"}));
    BOOST_TEST(!mu.locked());
}

COROLLA_BACKEND_TEST(lock_acquire_under_wait_for_times_out_and_leaves_no_waiter) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::lock mu;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(mu.acquire());
        bool timed_out = false;
        try {
            AWAIT(corolla::wait_for(mu.acquire(), 1s));
        } catch (const corolla::timeout_error&) {
            timed_out = true;
        }
        BOOST_TEST(timed_out);
        BOOST_TEST(mu.waiting() == 0u);
        mu.release();
        BOOST_TEST(!mu.locked());
        RETURN;
    });
    loop.run_until_complete(main);
}

// --- semaphore ----------------------------------------------------------------------------

COROLLA_BACKEND_TEST(semaphore_bounds_concurrency) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::semaphore sem(2);
    int inside = 0, most = 0;
    auto worker = [&]() -> TASK(void) {
        auto permit = AWAIT(sem.scoped());
        ++inside;
        most = std::max(most, inside);
        AWAIT(corolla::sleep(1s));
        --inside;
        RETURN;
    };
    auto t0 = loop.time();
    std::vector<corolla::future<void>> ts;
    for (int i = 0; i < 6; ++i)
        ts.push_back(test::spawn(loop, worker));
    loop.run_until_complete(corolla::gather(loop, ts));
    BOOST_TEST(most == 2);
    BOOST_TEST(seconds(loop, t0) == 3.0);
    BOOST_TEST(sem.value() == 2);
}

COROLLA_BACKEND_TEST(semaphore_with_cancelled_waiters_keeps_fifo_order_and_never_hangs) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::semaphore sem(1);
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(sem.acquire());
        std::vector<corolla::task<void>> ws;
        for (std::string name : {"w1", "w2", "w3", "w4", "w5"})
            ws.push_back(test::spawn(loop, take_permit, std::ref(sem), std::ref(log), name, corolla::duration(1s)));
        AWAIT(corolla::sleep(0s));
        ws[1].cancel();  // cancelled while waiting
        sem.release();   // handed to w1
        ws[0].cancel();  // ... cancelled in the same iteration: passes it to w3
        ws[3].cancel();
        std::vector<corolla::future<void>> all(ws.begin(), ws.end());
        AWAIT(corolla::wait(loop, all));
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"w2 cancelled", "w1 cancelled", "w4 cancelled", "w3", "w5"}));
    BOOST_TEST(sem.value() == 1);
    BOOST_TEST(!sem.locked());
}

COROLLA_BACKEND_TEST(semaphore_bad_values_are_value_errors) {
    loop_fixture fx(backend);
    BOOST_CHECK_THROW(corolla::semaphore(-1), corolla::value_error);
    corolla::bounded_semaphore b(2);
    BOOST_TEST(b.try_acquire());
    b.release();
    BOOST_CHECK_THROW(b.release(), corolla::value_error);
    BOOST_TEST(b.value() == 2);
    corolla::semaphore unbounded(0);
    unbounded.release();  // a plain semaphore may grow
    BOOST_TEST(unbounded.value() == 1);
}

COROLLA_BACKEND_TEST(semaphore_try_acquire_does_not_jump_the_queue) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::semaphore sem(1);
    std::vector<std::string> log;
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(sem.acquire());
        auto w = test::spawn(loop, take_permit, std::ref(sem), std::ref(log), std::string("w"), corolla::duration(0s));
        AWAIT(corolla::sleep(0s));
        sem.release();
        BOOST_TEST(!sem.try_acquire());  // the permit is the waiter's
        AWAIT(w);
        BOOST_TEST(sem.try_acquire());
        sem.release();
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"w"}));
}

// asyncio's Semaphore: a waiter handed a permit still counts until it runs, so a release
// beyond it cannot be taken by someone who has not lined up yet.
COROLLA_BACKEND_TEST(semaphore_granted_waiter_counts_until_it_runs_so_nobody_barges) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::semaphore sem(0);
    std::vector<std::string> log;
    auto w1 = test::spawn(loop, take_permit, std::ref(sem), std::ref(log), std::string("w1"), corolla::duration(0s));
    auto w2 = test::spawn(loop, take_permit, std::ref(sem), std::ref(log), std::string("w2"), corolla::duration(0s));
    loop.run_once(true);  // both wait
    auto releaser = test::spawn(loop, [&]() -> TASK(void) {
        sem.release();  // to w1
        BOOST_TEST(sem.locked());
        sem.release();  // to w2
        BOOST_TEST(sem.locked());
        sem.release();  // free, but w1 and w2 have not run: still in line before us
        BOOST_TEST(sem.value() == 1);
        BOOST_TEST(sem.locked());
        BOOST_TEST(!sem.try_acquire());
        AWAIT(sem.acquire());  // queues behind w1 and w2
        log.push_back("releaser");
        sem.release();
        RETURN;
    });
    loop.run_until_complete(releaser);
    loop.run_until_complete(corolla::gather(w1, w2));
    BOOST_TEST(log == (std::vector<std::string>{"w1", "w2", "releaser"}));
    BOOST_TEST(sem.value() == 3);
    BOOST_TEST(!sem.locked());

    // "Release twice, then re-acquire at once": one waiter, two releases; the releaser
    // gets the second permit only after the waiter has run (a bounded semaphore alike).
    corolla::semaphore one(1);
    corolla::bounded_semaphore bounded(1);
    for (corolla::semaphore* sp : {&one, static_cast<corolla::semaphore*>(&bounded)}) {
        log.clear();
        auto holder = test::spawn(loop, [&, sp]() -> TASK(void) {
            AWAIT(sp->acquire());
            auto w = test::spawn(loop, [&, sp]() -> TASK(void) {
                AWAIT(sp->acquire());
                log.push_back("waiter");
                RETURN;
            });
            AWAIT(corolla::sleep(0s));  // w waits
            sp->release();              // to w
            sp->release();              // free again, yet w is still in line
            BOOST_TEST(sp->locked());
            AWAIT(sp->acquire());
            log.push_back("holder");
            AWAIT(w);
            RETURN;
        });
        loop.run_until_complete(holder);
        BOOST_TEST(log == (std::vector<std::string>{"waiter", "holder"}));
    }
}

// --- event --------------------------------------------------------------------------------

COROLLA_BACKEND_TEST(event_wakes_all_waiters_and_wait_returns_at_once_while_set) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::event ev;
    int woke = 0;
    auto waiter = [&]() -> TASK(void) {
        AWAIT(ev.wait());
        ++woke;
        RETURN;
    };
    std::vector<corolla::future<void>> ts;
    for (int i = 0; i < 3; ++i)
        ts.push_back(test::spawn(loop, waiter));
    loop.call_later(2s, [&] { ev.set(); });  // set from a plain callback
    auto t0 = loop.time();
    loop.run_until_complete(corolla::gather(loop, ts));
    BOOST_TEST(woke == 3);
    BOOST_TEST(seconds(loop, t0) == 2.0);
    BOOST_TEST(ev.is_set());
    loop.run_until_complete(test::spawn(loop, waiter));  // set: no wait
    BOOST_TEST(woke == 4);
    ev.clear();
    BOOST_TEST(!ev.is_set());
}

COROLLA_BACKEND_TEST(event_set_clear_set_before_waiters_run_wakes_each_exactly_once) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::event ev;
    std::vector<int> wakes(3, 0);
    auto waiter = [&](int i) -> TASK(void) {
        AWAIT(ev.wait());
        ++wakes[i];
        RETURN;
    };
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        std::vector<corolla::future<void>> ts;
        for (int i = 0; i < 3; ++i)
            ts.push_back(test::spawn(loop, waiter, i));
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(ev.waiting() == 3u);
        ev.set();
        ev.clear();
        ev.set();
        AWAIT(corolla::gather(loop, ts));
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(wakes == (std::vector<int>{1, 1, 1}));
}

COROLLA_BACKEND_TEST(event_cancelled_waiter_leaves_and_others_still_wake) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::event ev;
    int woke = 0;
    auto waiter = [&]() -> TASK(void) {
        AWAIT(ev.wait());
        ++woke;
        RETURN;
    };
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto a = test::spawn(loop, waiter);
        auto b = test::spawn(loop, waiter);
        AWAIT(corolla::sleep(0s));
        a.cancel();
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(ev.waiting() == 1u);
        ev.set();
        AWAIT(b);
        BOOST_TEST(a.cancelled());
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(woke == 1);
}

// --- barrier ------------------------------------------------------------------------------

COROLLA_BACKEND_TEST(barrier_releases_all_parties_with_their_arrival_index_and_is_reusable) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::barrier b(3);
    std::vector<std::size_t> indexes;
    auto party = [&](corolla::duration d) -> TASK(void) {
        for (int round = 0; round < 2; ++round) {
            AWAIT(corolla::sleep(d));
            indexes.push_back(AWAIT(b.wait()));
        }
        RETURN;
    };
    auto t0 = loop.time();
    std::vector<corolla::future<void>> ts{test::spawn(loop, party, corolla::duration(1s)),
                                          test::spawn(loop, party, corolla::duration(2s)),
                                          test::spawn(loop, party, corolla::duration(3s))};
    loop.run_until_complete(corolla::gather(loop, ts));
    BOOST_TEST(seconds(loop, t0) == 6.0);
    // The last to arrive returns at once; the others resume in the next iteration.
    BOOST_TEST(indexes == (std::vector<std::size_t>{2, 0, 1, 2, 0, 1}));
    BOOST_TEST(b.n_waiting() == 0u);
    BOOST_TEST(!b.broken());
    BOOST_CHECK_THROW(corolla::barrier(0), corolla::value_error);
}

COROLLA_BACKEND_TEST(barrier_reset_and_abort_break_waiters) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::barrier b(3);
    std::vector<std::string> log;
    auto party = [&]() -> TASK(void) {
        try {
            AWAIT(b.wait());
            log.push_back("passed");
        } catch (const corolla::broken_barrier_error&) {
            log.push_back("broken");
        }
        RETURN;
    };
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto p1 = test::spawn(loop, party);
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(b.n_waiting() == 1u);
        b.reset();  // the waiter fails; the barrier is usable again
        AWAIT(p1);
        BOOST_TEST(!b.broken());
        auto p2 = test::spawn(loop, party);
        AWAIT(corolla::sleep(0s));
        b.abort();
        AWAIT(p2);
        BOOST_TEST(b.broken());
        AWAIT(test::spawn(loop, party));  // broken: fails at once
        b.reset();
        BOOST_TEST(!b.broken());
        RETURN;
    });
    loop.run_until_complete(main);
    BOOST_TEST(log == (std::vector<std::string>{"broken", "broken", "broken"}));
}

COROLLA_BACKEND_TEST(barrier_cancelled_waiter_leaves_the_round) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::barrier b(2);
    auto main = test::spawn(loop, [&]() -> TASK(void) {
        auto party = [&]() -> TASK(std::size_t) { RETURN AWAIT(b.wait()); };
        auto p1 = test::spawn(loop, party);
        AWAIT(corolla::sleep(0s));
        p1.cancel();
        AWAIT(corolla::sleep(0s));
        BOOST_TEST(p1.cancelled());
        BOOST_TEST(b.n_waiting() == 0u);
        auto p2 = test::spawn(loop, party);
        auto p3 = test::spawn(loop, party);
        std::size_t i2 = AWAIT(p2);
        std::size_t i3 = AWAIT(p3);
        BOOST_TEST(i2 == 0u);
        BOOST_TEST(i3 == 1u);
        RETURN;
    });
    loop.run_until_complete(main);
}

// --- misuse -------------------------------------------------------------------------------

COROLLA_BACKEND_TEST(a_primitive_waited_on_from_two_loops_is_an_invalid_state_error) {
    loop_fixture fx(backend);
    loop_fixture other(backend);
    corolla::event ev;
    auto waiter = [&]() -> TASK(void) {
        AWAIT(ev.wait());
        RETURN;
    };
    auto first = test::spawn(fx.loop(), waiter);
    fx.loop().run_until_complete(corolla::sleep(fx.loop(), 1ms));
    auto second = test::spawn(other.loop(), waiter);
    BOOST_CHECK_THROW(other.loop().run_until_complete(second), corolla::invalid_state_error);
    ev.set();
    fx.loop().run_until_complete(first);
}
