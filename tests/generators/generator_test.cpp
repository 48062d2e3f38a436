// generator<Yield, Send, Return>: Python generator semantics without an event loop —
// next / send / throw_ / close, states, return values, range-for, yield_from delegation
// (forwarding, return values, deep chains on a constant native stack), misuse errors.
#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <corolla/coro/generator.hpp>

using corolla::generator;
using corolla::generator_exit;
using corolla::generator_state;
using corolla::invalid_state_error;
using corolla::yield_from;

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

generator<int> count_to(int n) {
    for (int i = 1; i <= n; ++i)
        co_yield i;
}

generator<int, void, std::string> count_then_return(int n, std::string r) {
    for (int i = 1; i <= n; ++i)
        co_yield i;
    co_return r;
}

// The seeds' `res = yield 4`: next() resumes with None, send(v) with v.
generator<int, int> echo_sent(log_t& log) {
    log.push_back("starting");
    for (;;) {
        std::optional<int> res = co_yield 4;
        log.push_back(res ? "res: " + std::to_string(*res) : "res: None");
    }
}

// The seeds' generator lifecycle: throw(ValueError) is caught at the yield and the
// generator goes on.
generator<std::string, std::string> lifecycle(log_t& log) {
    std::string i = "activated";
    for (;;) {
        std::optional<std::string> value;
        try {
            value = co_yield i;
        } catch (const std::invalid_argument&) {
            log.push_back("Over");
        }
        if (value) i = *value;
    }
}

generator<int> cleanup_on_close(log_t& log, bool* destroyed) {
    guard g(destroyed);
    try {
        co_yield 1;
        co_yield 2;
    } catch (const generator_exit&) {
        log.push_back("generator_exit");
        throw;
    }
}

generator<int> ignores_close() {
    for (;;) {
        try {
            co_yield 1;
        } catch (const generator_exit&) {
        }
    }
}

generator<int> fails_after(int n) {
    for (int i = 1; i <= n; ++i)
        co_yield i;
    throw std::runtime_error("failed after " + std::to_string(n));
}

// Python: `def gen(): yield 1; return "done"`, used to show the sub's return value.
generator<int, int, int> sub_sum(log_t& log) {
    int total = 0;
    for (;;) {
        std::optional<int> v = co_yield total;
        if (!v) break;
        log.push_back("sub got " + std::to_string(*v));
        total += *v;
    }
    co_return total;
}

generator<int, int, std::string> delegator(log_t& log) {
    int r = co_yield yield_from(sub_sum(log));
    log.push_back("sub returned " + std::to_string(r));
    co_yield -1;
    co_return "delegator done";
}

generator<int, void, int> nest(int depth, std::uintptr_t* leaf_sp) {
    if (depth == 0) {
        for (int i = 0; i < 3; ++i) {
            *leaf_sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
            co_yield i;
        }
        co_return 0;
    }
    int r = co_yield yield_from(nest(depth - 1, leaf_sp));
    co_return r + 1;
}

[[gnu::noinline]] std::uintptr_t stack_here() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }

generator<int, void, int> nest_failing(int depth) {
    if (depth == 0) {
        co_yield 0;
        throw std::runtime_error("deep failure");
    }
    co_return co_yield yield_from(nest_failing(depth - 1));
}

std::uintptr_t distance(std::uintptr_t a, std::uintptr_t b) { return a > b ? a - b : b - a; }

}  // namespace

static_assert(std::ranges::input_range<generator<int>>);
static_assert(std::ranges::view<generator<int>>);

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
    BOOST_TEST(printed.starts_with("<generator object count_to at 0x"));
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
}

BOOST_AUTO_TEST_CASE(states_follow_created_running_suspended_closed) {
    generator<generator_state>* self = nullptr;
    auto body = [](generator<generator_state>** me) -> generator<generator_state> {
        co_yield (*me)->state();  // observed from inside: running
        co_yield (*me)->state();
    };
    auto g = body(&self);
    self = &g;
    BOOST_TEST((g.state() == generator_state::created));
    BOOST_TEST((*g.next() == generator_state::running));
    BOOST_TEST((g.state() == generator_state::suspended));
    g.next();
    g.next();
    BOOST_TEST((g.state() == generator_state::closed));

    generator<int> empty;
    BOOST_TEST((empty.state() == generator_state::closed));
    BOOST_TEST(!empty.next().has_value());
    auto a = count_to(2);
    a.next();
    auto b = std::move(a);
    BOOST_TEST((a.state() == generator_state::closed));  // NOLINT(bugprone-use-after-move): moved-from is closed
    BOOST_TEST((b.state() == generator_state::suspended));
    BOOST_TEST(*b.next() == 2);
}

BOOST_AUTO_TEST_CASE(send_before_start_is_an_invalid_state_error) {
    log_t log;
    auto g = echo_sent(log);
    BOOST_CHECK_THROW(g.send(10), invalid_state_error);
    BOOST_TEST(log.empty());  // the body did not run
    BOOST_TEST((g.state() == generator_state::created));
    BOOST_TEST(*g.next() == 4);  // still usable: first resume with next(), as in Python
}

BOOST_AUTO_TEST_CASE(send_passes_values_in_and_next_passes_none) {
    log_t log;
    auto g = echo_sent(log);
    BOOST_TEST(*g.next() == 4);
    BOOST_TEST(*g.next() == 4);
    BOOST_TEST(*g.send(10) == 4);
    BOOST_TEST(log == (log_t{"starting", "res: None", "res: 10"}));
}

BOOST_AUTO_TEST_CASE(throw_caught_inside_continues_to_the_next_yield) {
    log_t log;
    auto g = lifecycle(log);
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
    auto g = cleanup_on_close(log, &destroyed);
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
    auto g = cleanup_on_close(log, &destroyed);
    BOOST_CHECK_THROW(g.throw_(std::runtime_error("early")), std::runtime_error);
    BOOST_TEST(!destroyed);  // the body never started, so its guard never existed
    BOOST_TEST(log.empty());
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(close_runs_cleanup_raii_and_generator_exit_handlers) {
    bool destroyed = false;
    log_t log;
    auto g = cleanup_on_close(log, &destroyed);
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
    auto g = cleanup_on_close(log, &destroyed);
    g.close();
    BOOST_TEST((g.state() == generator_state::closed));
    BOOST_TEST(log.empty());
    BOOST_TEST(!g.next().has_value());
}

BOOST_AUTO_TEST_CASE(yielding_during_close_is_an_error_and_the_generator_is_gone) {
    auto g = ignores_close();
    g.next();
    BOOST_CHECK_THROW(g.close(), invalid_state_error);
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(close_rethrows_other_exceptions_and_keeps_a_return_value) {
    auto raises = []() -> generator<int> {
        try {
            co_yield 1;
        } catch (const generator_exit&) {
            throw std::runtime_error("cleanup failed");
        }
    }();
    raises.next();
    BOOST_CHECK_THROW(raises.close(), std::runtime_error);
    BOOST_TEST((raises.state() == generator_state::closed));

    auto returns = []() -> generator<int, void, int> {
        try {
            co_yield 1;
        } catch (const generator_exit&) {
            co_return 42;  // Python 3.13: close() returns this value
        }
        co_return 0;
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
    auto g = []() -> generator<int> {
        bool swallowed = false;
        try {
            co_yield 1;
        } catch (const std::exception&) {
            swallowed = true;  // never: close must not be swallowed by an ordinary handler
        }
        if (swallowed) co_yield 2;
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
    generator<std::string>* self = nullptr;
    auto body = [](generator<std::string>** me) -> generator<std::string> {
        std::string what = "resumed itself";
        try {
            (*me)->next();
        } catch (const invalid_state_error& e) {
            what = e.what();
        }
        co_yield what;
    };
    auto g = body(&self);
    self = &g;
    BOOST_TEST(*g.next() == "generator already executing");
}

BOOST_AUTO_TEST_CASE(yield_from_evaluates_to_the_sub_generators_return_value_and_forwards_send) {
    log_t log;
    auto g = delegator(log);
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
    auto catching_sub = [](log_t& l) -> generator<int, void, int> {
        for (int i = 0;; ++i) {
            try {
                co_yield i;
            } catch (const std::runtime_error& e) {
                l.push_back(std::string("sub caught ") + e.what());
                co_return 100;
            }
        }
    };
    auto outer = [](log_t& l, auto make) -> generator<int> {
        int r = co_yield yield_from(make(l));
        l.push_back("outer got " + std::to_string(r));
        co_yield r;
    }(log, catching_sub);
    BOOST_TEST(*outer.next() == 0);
    BOOST_TEST(*outer.next() == 1);
    BOOST_TEST(*outer.throw_(std::runtime_error("x")) == 100);
    BOOST_TEST(log == (log_t{"sub caught x", "outer got 100"}));

    // Not caught by the sub: it surfaces at the delegator's yield_from.
    log.clear();
    auto catching_outer = [](log_t& l) -> generator<int> {
        try {
            co_yield yield_from(count_to(10));
        } catch (const std::runtime_error& e) {
            l.push_back(std::string("outer caught ") + e.what());
        }
        co_yield 99;
    }(log);
    BOOST_TEST(*catching_outer.next() == 1);
    BOOST_TEST(*catching_outer.throw_(std::runtime_error("y")) == 99);
    BOOST_TEST(log == (log_t{"outer caught y"}));
}

BOOST_AUTO_TEST_CASE(close_through_yield_from_closes_the_sub_then_raises_generator_exit_in_the_delegator) {
    log_t log;
    bool destroyed = false;
    // The sub swallows generator_exit and returns: the delegator still gets
    // generator_exit (PEP 380), not the return value.
    auto sub = [](log_t& l, bool* d) -> generator<int, void, int> {
        guard g(d);
        try {
            co_yield 1;
        } catch (const generator_exit&) {
            l.push_back("sub exit");
        }
        co_return 5;
    };
    auto outer = [](log_t& l, bool* d, auto make) -> generator<int> {
        try {
            int r = co_yield yield_from(make(l, d));
            l.push_back("outer got " + std::to_string(r));
        } catch (const generator_exit&) {
            l.push_back("outer exit");
            throw;
        }
    }(log, &destroyed, sub);
    outer.next();
    outer.close();
    BOOST_TEST(destroyed);
    BOOST_TEST(log == (log_t{"sub exit", "outer exit"}));
    BOOST_TEST((outer.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(yield_from_a_borrowed_generator_and_the_rules_while_it_is_delegated_to) {
    auto sub = count_then_return(3, "sub done");
    BOOST_TEST(*sub.next() == 1);  // already started: yield_from continues it (next), like Python
    auto outer = [](generator<int, void, std::string>& s) -> generator<int, void, std::string> {
        std::string r = co_yield yield_from(s);
        co_return "outer saw " + r;
    }(sub);
    BOOST_TEST(*outer.next() == 2);
    BOOST_TEST((sub.state() == generator_state::suspended));
    BOOST_CHECK_THROW(sub.next(), invalid_state_error);  // resume the delegator instead
    BOOST_TEST(*outer.next() == 3);
    BOOST_TEST(!outer.next().has_value());
    BOOST_TEST(outer.return_value() == "outer saw sub done");
    BOOST_TEST((sub.state() == generator_state::closed));
    BOOST_TEST(sub.return_value() == "sub done");  // a borrowed sub keeps its value
}

BOOST_AUTO_TEST_CASE(a_delegator_destroyed_mid_way_releases_a_borrowed_sub) {
    auto sub = count_to(5);
    {
        auto outer = [](generator<int>& s) -> generator<int> { co_yield yield_from(s); }(sub);
        BOOST_TEST(*outer.next() == 1);
    }
    BOOST_TEST((sub.state() == generator_state::suspended));
    BOOST_TEST(*sub.next() == 2);
}

BOOST_AUTO_TEST_CASE(yield_from_oneself_is_an_invalid_state_error) {
    generator<int>* self = nullptr;
    auto body = [](generator<int>** me) -> generator<int> {
        bool refused = false;
        try {
            co_yield yield_from(**me);
        } catch (const invalid_state_error&) {
            refused = true;
        }
        if (refused) co_yield -1;
    };
    auto g = body(&self);
    self = &g;
    BOOST_TEST(*g.next() == -1);
}

BOOST_AUTO_TEST_CASE(yield_from_any_range_like_itertools_chain) {
    auto chain = []() -> generator<std::string> {
        std::set<std::string> words{"one", "two"};
        co_yield yield_from(words);
        std::string ace = "ace";
        std::vector<std::string> letters;
        for (char c : ace)
            letters.emplace_back(1, c);
        co_yield yield_from(std::move(letters));  // an owned range lives in the delegation
    };
    std::vector<std::string> seen;
    for (auto& s : chain())
        seen.push_back(s);
    BOOST_TEST(seen == (std::vector<std::string>{"one", "two", "a", "c", "e"}));
}

BOOST_AUTO_TEST_CASE(deep_yield_from_chain_resumes_the_innermost_on_a_constant_native_stack) {
    std::uintptr_t shallow_sp = 0;
    std::uintptr_t deep_sp = 0;
    const std::uintptr_t here = stack_here();

    auto shallow = nest(1, &shallow_sp);
    BOOST_TEST(*shallow.next() == 0);
    auto deep = nest(10'000, &deep_sp);
    BOOST_TEST(*deep.next() == 0);
    BOOST_TEST(distance(here, deep_sp) < 16384u);
    BOOST_TEST(distance(shallow_sp, deep_sp) < 512u);
    BOOST_TEST(*deep.next() == 1);
    BOOST_TEST(distance(shallow_sp, deep_sp) < 512u);
    BOOST_TEST(*deep.next() == 2);
    BOOST_TEST(!deep.next().has_value());  // 10^4 returns unwind through the driver loop
    BOOST_TEST(deep.return_value() == 10'000);

    // Destroying a chain suspended 10^5 deep, and closing one, recurse no deeper either.
    std::uintptr_t sink = 0;
    {
        auto deeper = nest(100'000, &sink);
        deeper.next();
    }
    auto closing = nest(100'000, &sink);
    closing.next();
    closing.close();
    BOOST_TEST((closing.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(an_exception_deep_in_a_chain_propagates_through_every_delegator) {
    auto g = nest_failing(1'000);
    BOOST_TEST(*g.next() == 0);
    BOOST_CHECK_EXCEPTION(g.next(), std::runtime_error,
                          [](const std::runtime_error& e) { return std::string(e.what()) == "deep failure"; });
    BOOST_TEST((g.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(yield_without_a_value_through_monostate) {
    // Python's `value = yield` in a pure consumer: Yield is std::monostate, `co_yield {}`.
    auto sink = []() -> generator<std::monostate, std::string, std::vector<std::string>> {
        std::vector<std::string> got;
        for (;;) {
            auto v = co_yield {};
            if (!v || *v == "CLOSE") break;
            got.push_back(*v);
        }
        co_return got;
    }();
    sink.next();
    sink.send("b");
    sink.send("a");
    BOOST_TEST(!sink.send("CLOSE").has_value());
    BOOST_TEST(sink.return_value() == (std::vector<std::string>{"b", "a"}));
}

BOOST_AUTO_TEST_CASE(yielded_values_are_moved_out_not_copied) {
    auto g = []() -> generator<std::unique_ptr<int>> {
        co_yield std::make_unique<int>(7);
        auto p = std::make_unique<int>(8);
        co_yield std::move(p);
    }();
    auto a = g.next();
    BOOST_TEST(**a == 7);
    for (auto& p : g)
        BOOST_TEST(*p == 8);
}

BOOST_AUTO_TEST_SUITE_END()
