// The runtime: loops on threads of their own, run() as asyncio.run over all of them, and
// submit_to between every pair of loops in both execution styles (results, exceptions,
// cancellation both ways, a storm of calls with random cancels, shutdown with calls in
// flight). Runs under TSan.
#include <atomic>
#include <chrono>
#include <csignal>
#include <pthread.h>
#include <sched.h>
#include <random>
#include <stdexcept>
#include <vector>

#include <corolla/core/errors.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/runtime/runtime.hpp>

#include "support/backend_matrix.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
namespace test = corolla::test;
using corolla::event_loop;
using corolla::runtime;

namespace {

corolla::runtime_options options(const std::string& backend, std::size_t loops) {
    corolla::runtime_options o;
    o.loops = loops;
    o.backend = backend;
    o.handle_signals = false;
    return o;
}

struct boom : std::runtime_error {
    boom() : std::runtime_error("boom") {}
};

}  // namespace

COROLLA_BACKEND_TEST(run_returns_main_result_and_propagates_its_exception) {
    {
        runtime rt(options(backend, 3));
        BOOST_TEST(rt.size() == 3u);
        BOOST_TEST(rt.current_index() == runtime::npos);
        int v = rt.run([&](event_loop& l) {
            return test::spawn(l, [&]() -> TASK(int) {
                BOOST_TEST(rt.current_index() == 0u);
                RETURN 42;
            });
        });
        BOOST_TEST(v == 42);
        BOOST_CHECK_THROW(rt.loop(0), corolla::invalid_state_error);
        BOOST_CHECK_THROW(rt.run([](event_loop& l) { return l.create_future<int>(); }), corolla::invalid_state_error);
    }
    runtime rt(options(backend, 2));
    BOOST_CHECK_THROW(rt.run([](event_loop& l) { return test::spawn(l, []() -> TASK(void) { throw boom(); }); }), boom);
}

COROLLA_BACKEND_TEST(submit_to_runs_plain_functions_and_tasks_across_every_pair) {
    constexpr std::size_t n = 4;
    runtime rt(options(backend, n));
    std::atomic<int> remote_ok{0}, wrong{0};
    auto body = [&](std::size_t from) -> TASK(int) {
        int sum = 0;
        for (std::size_t to = 0; to < n; ++to) {
            if (rt.current_index() != from) ++wrong;  // Boost.Test asserts on loop 0's thread only
            // A plain function: its value is the result.
            sum += AWAIT(rt.submit_to(to, [&rt, &remote_ok, to] {
                if (rt.current_index() == to) ++remote_ok;
                return int(to);
            }));
            // A function that starts a task there: the task's result is the result.
            sum += AWAIT(rt.submit_to(to, [&rt, &remote_ok, to] {
                return test::spawn(*event_loop::running(), [&rt, &remote_ok, to]() -> TASK(int) {
                    AWAIT(corolla::sleep(0s));
                    if (rt.current_index() == to) ++remote_ok;
                    RETURN int(to) * 10;
                });
            }));
            AWAIT(rt.submit_to(to, [] {}));  // void
        }
        RETURN sum;
    };
    int total = rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(int) {
            std::vector<corolla::future<int>> all;
            for (std::size_t from = 0; from < n; ++from)
                all.push_back(
                    rt.submit_to(from, [&, from] { return test::spawn(*event_loop::running(), body, from); }));
            int t = 0;
            for (auto& f : all)
                t += AWAIT(f);
            RETURN t;
        });
    });
    BOOST_TEST(total == int(n) * (0 + 1 + 2 + 3) * 11);
    BOOST_TEST(remote_ok.load() == int(2 * n * n));
    BOOST_TEST(wrong.load() == 0);
}

COROLLA_BACKEND_TEST(exceptions_cross_loops_intact) {
    runtime rt(options(backend, 3));
    rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(void) {
            for (std::size_t to = 0; to < 3; ++to) {
                auto plain = rt.submit_to(to, []() -> int { throw boom(); });
                auto task = rt.submit_to(to, [] {
                    return test::spawn(*event_loop::running(), []() -> TASK(int) {
                        AWAIT(corolla::sleep(0s));
                        throw std::out_of_range("far");
                    });
                });
                bool got_boom = false, got_range = false;
                try {
                    AWAIT(plain);
                } catch (const boom&) {
                    got_boom = true;
                }
                try {
                    AWAIT(task);
                } catch (const std::out_of_range& e) {
                    got_range = std::string(e.what()) == "far";
                }
                BOOST_TEST(got_boom);
                BOOST_TEST(got_range);
            }
            RETURN;
        });
    });
}

COROLLA_BACKEND_TEST(cancelling_the_callers_future_cancels_the_remote_task) {
    runtime rt(options(backend, 3));
    std::atomic<bool> started{false};
    std::atomic<bool> remote_saw_cancel{false};
    rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(void) {
            auto f = rt.submit_to(2, [&] {
                return test::spawn(*event_loop::running(), [&]() -> TASK(int) {
                    started = true;
                    try {
                        AWAIT(corolla::sleep(1h));
                    } catch (const corolla::cancelled_error&) {
                        remote_saw_cancel = true;
                        throw;
                    }
                    RETURN 1;
                });
            });
            while (!started)
                AWAIT(corolla::sleep(1ms));
            BOOST_TEST(f.cancel());
            BOOST_TEST(!f.done());  // it ends as the remote side ends
            bool cancelled = false;
            try {
                AWAIT(f);
            } catch (const corolla::cancelled_error&) {
                cancelled = true;
            }
            BOOST_TEST(cancelled);
            BOOST_TEST(f.cancelled());
            BOOST_TEST(remote_saw_cancel.load());
            RETURN;
        });
    });
}

COROLLA_BACKEND_TEST(a_remote_cancellation_cancels_the_callers_future) {
    runtime rt(options(backend, 2));
    rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(void) {
            auto f = rt.submit_to(1, [] {
                event_loop& here = *event_loop::running();
                auto t = test::spawn(here, []() -> TASK(int) {
                    AWAIT(corolla::sleep(1h));
                    RETURN 1;
                });
                here.call_soon([t] { t.cancel("from afar"); });
                return t;
            });
            bool cancelled = false;
            try {
                AWAIT(f);
            } catch (const corolla::cancelled_error&) {
                cancelled = true;
            }
            BOOST_TEST(cancelled);
            BOOST_TEST(f.cancelled());
            // A plain future the remote side cancels does the same.
            auto g = rt.submit_to(1, [] {
                auto p = event_loop::running()->create_future<int>();
                p.cancel();
                return p;
            });
            try {
                AWAIT(g);
            } catch (const corolla::cancelled_error&) {
            }
            BOOST_TEST(g.cancelled());
            RETURN;
        });
    });
}

COROLLA_BACKEND_TEST(a_storm_of_calls_with_random_cancels_ends_each_exactly_once) {
    constexpr std::size_t n = 3;
    constexpr int per_pair = 1200;  // 10^4 calls in all
    constexpr int wave = 100;
    runtime rt(options(backend, n));
    std::atomic<int> ok{0}, cancelled{0}, callbacks{0}, remote_runs{0}, wrong{0};
    auto source = [&](std::size_t from) -> TASK(void) {
        std::mt19937 rng(unsigned(from) + 1);
        for (int base = 0; base < per_pair * int(n); base += wave) {
            std::vector<corolla::future<int>> fs;
            for (int k = 0; k < wave; ++k) {
                const std::size_t to = std::size_t(base + k) % n;
                const int v = base + k;
                if (rng() % 2)
                    fs.push_back(rt.submit_to(to, [&, v] {
                        ++remote_runs;
                        return v;
                    }));
                else
                    fs.push_back(rt.submit_to(to, [&, v] {
                        return test::spawn(*event_loop::running(), [&, v]() -> TASK(int) {
                            ++remote_runs;
                            AWAIT(corolla::sleep(0s));
                            RETURN v;
                        });
                    }));
                fs.back().add_done_callback([&](corolla::future<int>) { ++callbacks; });
                if (rng() % 4 == 0) fs.back().cancel();
            }
            if (rng() % 2) AWAIT(corolla::sleep(0s));
            for (int k = 0; k < wave; ++k) {
                if (rng() % 8 == 0) fs[std::size_t(k)].cancel();
                try {
                    if (AWAIT(fs[std::size_t(k)]) != base + k) ++wrong;  // no Boost.Test off loop 0
                    ++ok;
                } catch (const corolla::cancelled_error&) {
                    ++cancelled;
                }
            }
        }
        AWAIT(corolla::sleep(0s));  // the last done-callbacks run
        RETURN;
    };
    rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(void) {
            std::vector<corolla::future<void>> all;
            for (std::size_t from = 0; from < n; ++from)
                all.push_back(
                    rt.submit_to(from, [&, from] { return test::spawn(*event_loop::running(), source, from); }));
            for (auto& f : all)
                AWAIT(f);
            RETURN;
        });
    });
    const int total = per_pair * int(n * n);
    BOOST_TEST(ok.load() + cancelled.load() == total);
    BOOST_TEST(callbacks.load() == total);
    BOOST_TEST(wrong.load() == 0);
    BOOST_TEST(ok.load() > 0);
    BOOST_TEST(cancelled.load() > 0);
    BOOST_TEST(remote_runs.load() >= ok.load());
}

COROLLA_BACKEND_TEST(ending_with_calls_in_flight_cancels_them_and_joins_every_thread) {
    std::atomic<int> started{0}, saw_cancel{0};
    auto sleeper = [&]() -> TASK(int) {
        ++started;
        try {
            AWAIT(corolla::sleep(1h));
        } catch (const corolla::cancelled_error&) {
            ++saw_cancel;
            throw;
        }
        RETURN 0;
    };
    {
        runtime rt(options(backend, 3));
        rt.run([&](event_loop& l) {
            return test::spawn(l, [&]() -> TASK(void) {
                // Loop 1 waits on loop 2, loop 2 on loop 0, and loop 0 on both: nobody
                // is finished when main returns.
                (void)rt.submit_to(1, [&] {
                    return test::spawn(*event_loop::running(), [&]() -> TASK(int) {
                        RETURN AWAIT(rt.submit_to(2, [&] { return test::spawn(*event_loop::running(), sleeper); }));
                    });
                });
                (void)rt.submit_to(2, [&] {
                    return test::spawn(*event_loop::running(), [&]() -> TASK(int) {
                        RETURN AWAIT(rt.submit_to(0, [&] { return test::spawn(*event_loop::running(), sleeper); }));
                    });
                });
                for (int i = 0; i < 20; ++i)
                    (void)rt.submit_to(std::size_t(i % 3),
                                       [&] { return test::spawn(*event_loop::running(), sleeper); });
                while (started.load() < 22)
                    AWAIT(corolla::sleep(1ms));
                for (int i = 0; i < 50; ++i)  // and some never started
                    (void)rt.submit_to(std::size_t(i % 3),
                                       [&] { return test::spawn(*event_loop::running(), sleeper); });
                RETURN;
            });
        });
    }
    BOOST_TEST(started.load() >= 22);
    BOOST_TEST(saw_cancel.load() == started.load());
}

COROLLA_BACKEND_TEST(a_runtime_of_one_loop_calls_itself) {
    runtime rt(options(backend, 1));
    int v = rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(int) {
            int a = AWAIT(rt.submit_to(0, [] { return 2; }));
            int b = AWAIT(
                rt.submit_to(0, [] { return test::spawn(*event_loop::running(), []() -> TASK(int) { RETURN 3; }); }));
            RETURN a* b;
        });
    });
    BOOST_TEST(v == 6);
}

COROLLA_BACKEND_TEST(submit_to_outside_the_runtimes_loops_is_refused) {
    runtime rt(options(backend, 2));
    BOOST_CHECK_THROW(rt.submit_to(1, [] { return 1; }), corolla::invalid_state_error);
    rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(void) {
            BOOST_CHECK_THROW(rt.submit_to(2, [] { return 1; }), std::out_of_range);
            RETURN;
        });
    });
}

COROLLA_BACKEND_TEST(sigterm_cancels_main_and_run_reports_it) {
    struct sigaction dfl {
    }, old{};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGTERM, &dfl, &old);
    auto o = options(backend, 2);
    o.handle_signals = true;
    runtime rt(std::move(o));
    BOOST_CHECK_THROW(rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(void) {
            AWAIT(rt.submit_to(1, [] { ::raise(SIGTERM); }));  // from another thread
            AWAIT(corolla::sleep(1h));
            RETURN;
        });
    }),
                      corolla::terminate_request);
    struct sigaction now {};
    ::sigaction(SIGTERM, nullptr, &now);
    BOOST_TEST((now.sa_handler == SIG_DFL));
    ::sigaction(SIGTERM, &old, nullptr);
}

COROLLA_BACKEND_TEST(by_default_one_loop_per_allowed_cpu_and_pinned_on_request) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    BOOST_REQUIRE(::sched_getaffinity(0, sizeof allowed, &allowed) == 0);
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
    {
        auto o = options(backend, 0);
        runtime rt(std::move(o));
        BOOST_TEST(rt.size() == cpus.size());
    }
    auto o = options(backend, 3);
    o.pin = true;
    runtime rt(std::move(o));
    auto only_cpu = [] {
        cpu_set_t s;
        CPU_ZERO(&s);
        ::pthread_getaffinity_np(::pthread_self(), sizeof s, &s);
        if (CPU_COUNT(&s) != 1) return -1;
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &s)) return c;
        return -1;
    };
    std::vector<int> seen = rt.run([&](event_loop& l) {
        return test::spawn(l, [&]() -> TASK(std::vector<int>) {
            std::vector<int> v;
            for (std::size_t i = 0; i < 3; ++i)
                v.push_back(AWAIT(rt.submit_to(i, only_cpu)));
            RETURN v;
        });
    });
    for (std::size_t i = 0; i < 3; ++i)
        BOOST_TEST(seen[i] == cpus[i % cpus.size()]);
    // Loop 0's thread (this one) has its affinity back.
    cpu_set_t now;
    CPU_ZERO(&now);
    ::pthread_getaffinity_np(::pthread_self(), sizeof now, &now);
    BOOST_TEST(CPU_EQUAL(&now, &allowed));
}
