// Python generator semantics, written once with support/generator_style.hpp and run against
// both generator types (generators.generator.coro: the stackless generator;
// generators.generator.fiber: the stackful fiber_generator): next / send / throw_ / close,
// states, return values, range-for, yield_from delegation, misuse errors. What only one type
// does lives beside: generator_coro_test.cpp, generator_fiber_test.cpp.
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <corolla/core/errors.hpp>
#include <corolla/core/generator_state.hpp>

#include "support/generator_style.hpp"

using corolla::generator_exit;
using corolla::generator_state;
using corolla::invalid_state_error;

namespace {

using log_t = std::vector<std::string>;

/// Sets a flag when destroyed: stands for any RAII resource held by a generator body.
struct guard {
    bool* destroyed;
    explicit guard(bool* d) : destroyed(d) {}
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() { *destroyed = true; }
};

GENERATOR(int) count_to(int n) {
    GEN_BODY {
        for (int i = 1; i <= n; ++i)
            YIELD(i);
    }
    GEN_END;
}

GENERATOR(int, void, std::string) count_then_return(int n, std::string r) {
    GEN_BODY {
        for (int i = 1; i <= n; ++i)
            YIELD(i);
        GEN_RETURN r;
    }
    GEN_END;
}

// The seeds' `res = yield 4`: next() resumes with None, send(v) with v.
GENERATOR(int, int) echo_sent(log_t* log) {
    GEN_BODY {
        log->push_back("starting");
        for (;;) {
            std::optional<int> res = YIELD(4);
            log->push_back(res ? "res: " + std::to_string(*res) : "res: None");
        }
    }
    GEN_END;
}

// The seeds' generator lifecycle: throw(ValueError) is caught at the yield and the
// generator goes on.
GENERATOR(std::string, std::string) lifecycle(log_t* log) {
    GEN_BODY {
        std::string i = "activated";
        for (;;) {
            std::optional<std::string> value;
            try {
                value = YIELD(i);
            } catch (const std::invalid_argument&) {
                log->push_back("Over");
            }
            if (value) i = *value;
        }
    }
    GEN_END;
}

GENERATOR(int) cleanup_on_close(log_t* log, bool* destroyed) {
    GEN_BODY {
        guard g(destroyed);
        try {
            YIELD(1);
            YIELD(2);
        } catch (const generator_exit&) {
            log->push_back("generator_exit");
            throw;
        }
    }
    GEN_END;
}

GENERATOR(int) ignores_close() {
    GEN_BODY {
        for (;;) {
            try {
                YIELD(1);
            } catch (const generator_exit&) {
            }
        }
    }
    GEN_END;
}

GENERATOR(int) fails_after(int n) {
    GEN_BODY {
        for (int i = 1; i <= n; ++i)
            YIELD(i);
        throw std::runtime_error("failed after " + std::to_string(n));
    }
    GEN_END;
}

// Sums what is sent to it until next() (None) and returns the total.
GENERATOR(int, int, int) sub_sum(log_t* log) {
    GEN_BODY {
        int total = 0;
        for (;;) {
            std::optional<int> v = YIELD(total);
            if (!v) break;
            log->push_back("sub got " + std::to_string(*v));
            total += *v;
        }
        GEN_RETURN total;
    }
    GEN_END;
}

GENERATOR(int, int, std::string) delegator(log_t* log) {
    GEN_BODY {
        int r = YIELD_FROM(sub_sum(log));
        log->push_back("sub returned " + std::to_string(r));
        YIELD(-1);
        GEN_RETURN std::string("delegator done");
    }
    GEN_END;
}

GENERATOR(int, void, int) nest_failing(int depth) {
    GEN_BODY {
        if (depth == 0) {
            YIELD(0);
            throw std::runtime_error("deep failure");
        }
        GEN_RETURN YIELD_FROM(nest_failing(depth - 1));
    }
    GEN_END;
}

// Every level of a stackful chain is a fiber with its own stack; a stackless chain of any
// depth is generator_coro_test.cpp's business.
#if defined(COROLLA_TEST_STYLE_FIBER)
constexpr int chain_depth = 100;
#else
constexpr int chain_depth = 1'000;
#endif

}  // namespace

static_assert(std::ranges::input_range<GENERATOR(int)>);

BOOST_AUTO_TEST_SUITE(generators)

BOOST_AUTO_TEST_CASE(next_yields_in_order_then_reports_the_end_with_an_empty_optional) {
    auto g = count_to(3);
    BOOST_TEST(*g.next() == 1);
    BOOST_TEST(*g.next() == 2);
    BOOST_TEST(*g.next() == 3);
    BOOST_TEST(!g.next().has_value());
    BOOST_TEST(!g.next().has_value());  // Python raises StopIteration again, too
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(a_generator_prints_as_python_generator_objects_do) {
    auto g = count_to(3);  // nothing ran: calling the function only made the object
    const std::string printed = g.to_string();
    BOOST_TEST(printed.starts_with("<generator object count_to at 0x"), printed);
    BOOST_TEST(printed.ends_with(">"));
    BOOST_TEST((g.state() == generator_state::created));
    auto h = count_to(3);
    BOOST_TEST(h.to_string() != printed);  // "at" tells the objects apart
}

BOOST_AUTO_TEST_CASE(return_value_is_the_stop_iteration_value) {
    auto g = count_then_return(1, "finish");
    BOOST_CHECK_THROW(g.return_value(), invalid_state_error);  // created
    BOOST_TEST(*g.next() == 1);
    BOOST_CHECK_THROW(g.return_value(), invalid_state_error);  // suspended
    BOOST_TEST(!g.next().has_value());
    BOOST_TEST(g.return_value() == "finish");
    BOOST_TEST(std::move(g).return_value() == "finish");
    BOOST_TEST(!g.next().has_value());  // NOLINT(bugprone-use-after-move): stays exhausted
}

BOOST_AUTO_TEST_CASE(states_follow_created_running_suspended_closed) {
    GENERATOR(generator_state)* self = nullptr;
    auto body = [](GENERATOR(generator_state) * *me) -> GENERATOR(generator_state) {
        GEN_BODY {
            YIELD((*me)->state());  // observed from inside: running
            YIELD((*me)->state());
        }
        GEN_END;
    };
    auto g = body(&self);
    self = &g;
    BOOST_TEST((g.state() == generator_state::created));
    BOOST_TEST((*g.next() == generator_state::running));
    BOOST_TEST((g.state() == generator_state::suspended));
    g.next();
    g.next();
    BOOST_TEST((g.state() == generator_state::closed));

    auto a = count_to(2);
    a.next();
    auto b = std::move(a);
    BOOST_TEST((a.state() == generator_state::closed));  // NOLINT(bugprone-use-after-move): moved-from is closed
    BOOST_TEST(!a.next().has_value());                   // NOLINT(bugprone-use-after-move)
    BOOST_TEST((b.state() == generator_state::suspended));
    BOOST_TEST(*b.next() == 2);
}

BOOST_AUTO_TEST_CASE(send_before_start_is_an_invalid_state_error) {
    log_t log;
    auto g = echo_sent(&log);
    BOOST_CHECK_THROW(g.send(10), invalid_state_error);
    BOOST_TEST(log.empty());  // the body did not run
    BOOST_TEST((g.state() == generator_state::created));
    BOOST_TEST(*g.next() == 4);  // still usable: first resume with next(), as in Python
}

BOOST_AUTO_TEST_CASE(send_passes_values_in_and_next_passes_none) {
    log_t log;
    auto g = echo_sent(&log);
    BOOST_TEST(*g.next() == 4);
    BOOST_TEST(*g.next() == 4);
    BOOST_TEST(*g.send(10) == 4);
    BOOST_TEST(log == (log_t{"starting", "res: None", "res: 10"}));
}

BOOST_AUTO_TEST_CASE(throw_caught_inside_continues_to_the_next_yield) {
    log_t log;
    auto g = lifecycle(&log);
    BOOST_TEST(*g.next() == "activated");
    BOOST_TEST(*g.send("Hello Generator") == "Hello Generator");
    BOOST_TEST(*g.throw_(std::invalid_argument("ValueError")) == "Hello Generator");
    BOOST_TEST(log == (log_t{"Over"}));
    BOOST_TEST((g.state() == generator_state::suspended));
    g.close();
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(throw_uncaught_propagates_to_the_caller_and_closes) {
    bool destroyed = false;
    log_t log;
    auto g = cleanup_on_close(&log, &destroyed);
    g.next();
    BOOST_CHECK_THROW(g.throw_(std::runtime_error("boom")), std::runtime_error);
    BOOST_TEST(destroyed);
    BOOST_TEST((g.state() == generator_state::closed));
    BOOST_TEST(!g.next().has_value());
    // Into a closed generator: raised at once.
    BOOST_CHECK_THROW(g.throw_(std::logic_error("again")), std::logic_error);
}

BOOST_AUTO_TEST_CASE(throw_into_a_created_generator_raises_without_running_it) {
    bool destroyed = false;
    log_t log;
    auto g = cleanup_on_close(&log, &destroyed);
    BOOST_CHECK_THROW(g.throw_(std::runtime_error("early")), std::runtime_error);
    BOOST_TEST(!destroyed);  // the body never started, so its guard never existed
    BOOST_TEST(log.empty());
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(close_runs_cleanup_raii_and_generator_exit_handlers) {
    bool destroyed = false;
    log_t log;
    auto g = cleanup_on_close(&log, &destroyed);
    BOOST_TEST(*g.next() == 1);
    g.close();
    BOOST_TEST(destroyed);
    BOOST_TEST(log == (log_t{"generator_exit"}));
    BOOST_TEST((g.state() == generator_state::closed));
    g.close();  // closing a closed generator does nothing
    BOOST_TEST(log.size() == 1u);
    BOOST_TEST(!g.next().has_value());
}

BOOST_AUTO_TEST_CASE(close_of_a_created_generator_never_runs_it) {
    bool destroyed = false;
    log_t log;
    auto g = cleanup_on_close(&log, &destroyed);
    g.close();
    BOOST_TEST((g.state() == generator_state::closed));
    BOOST_TEST(log.empty());
    BOOST_TEST(!destroyed);
    BOOST_TEST(!g.next().has_value());
}

BOOST_AUTO_TEST_CASE(yielding_during_close_is_an_error_and_the_generator_is_gone) {
    auto g = ignores_close();
    g.next();
    BOOST_CHECK_THROW(g.close(), invalid_state_error);
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(close_rethrows_other_exceptions_and_keeps_a_return_value) {
    auto raises = []() -> GENERATOR(int) {
        GEN_BODY {
            try {
                YIELD(1);
            } catch (const generator_exit&) {
                throw std::runtime_error("cleanup failed");
            }
        }
        GEN_END;
    }();
    raises.next();
    BOOST_CHECK_THROW(raises.close(), std::runtime_error);
    BOOST_TEST((raises.state() == generator_state::closed));

    auto returns = []() -> GENERATOR(int, void, int) {
        GEN_BODY {
            try {
                YIELD(1);
            } catch (const generator_exit&) {
                GEN_RETURN 42;  // Python 3.13: close() returns this value
            }
            GEN_RETURN 0;
        }
        GEN_END;
    }();
    returns.next();
    returns.close();
    BOOST_TEST(returns.return_value() == 42);
}

BOOST_AUTO_TEST_CASE(exceptions_escaping_the_body_propagate_once_then_the_generator_is_closed) {
    auto g = fails_after(1);
    BOOST_TEST(*g.next() == 1);
    BOOST_CHECK_EXCEPTION(g.next(), std::runtime_error,
                          [](const std::runtime_error& e) { return std::string(e.what()) == "failed after 1"; });
    BOOST_TEST((g.state() == generator_state::closed));
    BOOST_TEST(!g.next().has_value());
}

BOOST_AUTO_TEST_CASE(generator_exit_is_not_a_std_exception) {
    auto g = []() -> GENERATOR(int) {
        GEN_BODY {
            bool swallowed = false;
            try {
                YIELD(1);
            } catch (const std::exception&) {
                swallowed = true;  // never: close must not be swallowed by an ordinary handler
            }
            if (swallowed) YIELD(2);
        }
        GEN_END;
    }();
    g.next();
    g.close();
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(range_for_iterates_yielded_values_and_views_compose) {
    std::vector<int> seen;
    for (int v : count_to(5))
        seen.push_back(v);
    BOOST_TEST(seen == (std::vector<int>{1, 2, 3, 4, 5}));

    std::vector<int> firsts;
    for (int v : count_to(1000) | std::views::take(3))
        firsts.push_back(v);
    BOOST_TEST(firsts == (std::vector<int>{1, 2, 3}));

    // Range-for continues a partly consumed generator, like Python's for.
    auto g = count_to(3);
    g.next();
    seen.clear();
    for (int v : g)
        seen.push_back(v);
    BOOST_TEST(seen == (std::vector<int>{2, 3}));
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(range_for_rethrows_what_escapes_the_body) {
    std::vector<int> seen;
    auto loop = [&] {
        for (int v : fails_after(2))
            seen.push_back(v);
    };
    BOOST_CHECK_THROW(loop(), std::runtime_error);
    BOOST_TEST(seen == (std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_CASE(resuming_a_running_generator_is_an_invalid_state_error) {
    GENERATOR(std::string)* self = nullptr;
    auto body = [](GENERATOR(std::string) * *me) -> GENERATOR(std::string) {
        GEN_BODY {
            std::string what = "resumed itself";
            try {
                (*me)->next();
            } catch (const invalid_state_error& e) {
                what = e.what();
            }
            YIELD(what);
        }
        GEN_END;
    };
    auto g = body(&self);
    self = &g;
    BOOST_TEST(*g.next() == "generator already executing");
}

BOOST_AUTO_TEST_CASE(yield_from_evaluates_to_the_sub_generators_return_value_and_forwards_send) {
    log_t log;
    auto g = delegator(&log);
    BOOST_TEST(*g.next() == 0);  // the sub's first yield comes straight out
    BOOST_TEST(*g.send(1) == 1);
    BOOST_TEST(*g.send(2) == 3);
    BOOST_TEST(*g.next() == -1);  // next() is "send None": the sub returns 3
    BOOST_TEST(!g.next().has_value());
    BOOST_TEST(g.return_value() == "delegator done");
    BOOST_TEST(log == (log_t{"sub got 1", "sub got 2", "sub returned 3"}));
}

BOOST_AUTO_TEST_CASE(yield_from_forwards_throw_to_the_sub_generator) {
    log_t log;
    // Caught by the sub: it goes on.
    auto catching_sub = [](log_t* l) -> GENERATOR(int, void, int) {
        GEN_BODY {
            for (int i = 0;; ++i) {
                try {
                    YIELD(i);
                } catch (const std::runtime_error& e) {
                    l->push_back(std::string("sub caught ") + e.what());
                    GEN_RETURN 100;
                }
            }
        }
        GEN_END;
    };
    auto outer = [](log_t* l, auto make) -> GENERATOR(int) {
        GEN_BODY {
            int r = YIELD_FROM(make(l));
            l->push_back("outer got " + std::to_string(r));
            YIELD(r);
        }
        GEN_END;
    }(&log, catching_sub);
    BOOST_TEST(*outer.next() == 0);
    BOOST_TEST(*outer.next() == 1);
    BOOST_TEST(*outer.throw_(std::runtime_error("x")) == 100);
    BOOST_TEST(log == (log_t{"sub caught x", "outer got 100"}));

    // Not caught by the sub: it surfaces at the delegator's yield_from.
    log.clear();
    auto catching_outer = [](log_t* l) -> GENERATOR(int) {
        GEN_BODY {
            try {
                YIELD_FROM(count_to(10));
            } catch (const std::runtime_error& e) {
                l->push_back(std::string("outer caught ") + e.what());
            }
            YIELD(99);
        }
        GEN_END;
    }(&log);
    BOOST_TEST(*catching_outer.next() == 1);
    BOOST_TEST(*catching_outer.throw_(std::runtime_error("y")) == 99);
    BOOST_TEST(log == (log_t{"outer caught y"}));
}

BOOST_AUTO_TEST_CASE(close_through_yield_from_closes_the_sub_then_raises_generator_exit_in_the_delegator) {
    log_t log;
    bool destroyed = false;
    // The sub swallows generator_exit and returns: the delegator still gets
    // generator_exit (PEP 380), not the return value.
    auto sub = [](log_t* l, bool* d) -> GENERATOR(int, void, int) {
        GEN_BODY {
            guard g(d);
            try {
                YIELD(1);
            } catch (const generator_exit&) {
                l->push_back("sub exit");
            }
            GEN_RETURN 5;
        }
        GEN_END;
    };
    auto outer = [](log_t* l, bool* d, auto make) -> GENERATOR(int) {
        GEN_BODY {
            try {
                int r = YIELD_FROM(make(l, d));
                l->push_back("outer got " + std::to_string(r));
            } catch (const generator_exit&) {
                l->push_back("outer exit");
                throw;
            }
        }
        GEN_END;
    }(&log, &destroyed, sub);
    outer.next();
    outer.close();
    BOOST_TEST(destroyed);
    BOOST_TEST(log == (log_t{"sub exit", "outer exit"}));
    BOOST_TEST((outer.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(a_delegator_destroyed_mid_way_releases_a_borrowed_sub) {
    auto sub = count_to(5);
    {
        auto outer = [](GENERATOR(int) * s) -> GENERATOR(int) {
            GEN_BODY { YIELD_FROM(*s); }
            GEN_END;
        }(&sub);
        BOOST_TEST(*outer.next() == 1);
    }
    BOOST_TEST((sub.state() == generator_state::suspended));
    BOOST_TEST(*sub.next() == 2);
}

BOOST_AUTO_TEST_CASE(yield_from_oneself_is_an_invalid_state_error) {
    GENERATOR(int)* self = nullptr;
    auto body = [](GENERATOR(int) * *me) -> GENERATOR(int) {
        GEN_BODY {
            bool refused = false;
            try {
                YIELD_FROM(**me);
            } catch (const invalid_state_error&) {
                refused = true;
            }
            if (refused) YIELD(-1);
        }
        GEN_END;
    };
    auto g = body(&self);
    self = &g;
    BOOST_TEST(*g.next() == -1);
}

BOOST_AUTO_TEST_CASE(an_exception_deep_in_a_chain_propagates_through_every_delegator) {
    auto g = nest_failing(chain_depth);
    BOOST_TEST(*g.next() == 0);
    BOOST_CHECK_EXCEPTION(g.next(), std::runtime_error,
                          [](const std::runtime_error& e) { return std::string(e.what()) == "deep failure"; });
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(yield_without_a_value_through_monostate) {
    // Python's `value = yield` in a pure consumer: Yield is std::monostate.
    auto sink = []() -> GENERATOR(std::monostate, std::string, std::vector<std::string>) {
        GEN_BODY {
            std::vector<std::string> got;
            for (;;) {
                auto v = YIELD(std::monostate{});
                if (!v || *v == "CLOSE") break;
                got.push_back(*v);
            }
            GEN_RETURN got;
        }
        GEN_END;
    }();
    sink.next();
    sink.send("b");
    sink.send("a");
    BOOST_TEST(!sink.send("CLOSE").has_value());
    BOOST_TEST(sink.return_value() == (std::vector<std::string>{"b", "a"}));
}

BOOST_AUTO_TEST_CASE(yielded_values_are_moved_out_not_copied) {
    auto g = []() -> GENERATOR(std::unique_ptr<int>) {
        GEN_BODY {
            YIELD(std::make_unique<int>(7));
            auto p = std::make_unique<int>(8);
            YIELD(std::move(p));
        }
        GEN_END;
    }();
    auto a = g.next();
    BOOST_TEST(**a == 7);
    int seen = 0;
    for (auto& p : g) {
        BOOST_TEST(*p == 8);
        ++seen;
    }
    BOOST_TEST(seen == 1);
}

BOOST_AUTO_TEST_SUITE_END()
