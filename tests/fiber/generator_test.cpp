// fiber_generator: the stackful generator. Yields from nested calls at any depth, send /
// throw_ / close with Python's semantics, states, return values, yield_from forwarding,
// re-entrancy, unwinding on destruction, and use from inside tasks of both styles.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/generator.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using corolla::fiber_generator;
using corolla::generator_state;
using corolla::yielder;
using ints = std::vector<int>;
using strings = std::vector<std::string>;

namespace {

struct tree {
    int value;
    std::unique_ptr<tree> left, right;
};

std::unique_ptr<tree> leaf(int v) { return std::make_unique<tree>(tree{v, nullptr, nullptr}); }
std::unique_ptr<tree> node(int v, std::unique_ptr<tree> l, std::unique_ptr<tree> r) {
    return std::make_unique<tree>(tree{v, std::move(l), std::move(r)});
}

// A plain recursive function that yields from whatever depth it has reached.
void in_order(const tree* t, yielder<int>& y) {
    if (!t) return;
    in_order(t->left.get(), y);
    y.yield(t->value);
    in_order(t->right.get(), y);
}

void deep_then_yield(int depth, yielder<int>& y) {
    if (depth == 0) {
        y.yield(1);
        y.yield(2);
        return;
    }
    deep_then_yield(depth - 1, y);
}

fiber_generator<int, void, int> counted(int n) {
    return fiber_generator<int, void, int>(
        [](yielder<int>& y, int k) {
            for (int i = 0; i < k; ++i)
                y.yield(i);
            return k * 10;
        },
        n);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fiber_generators)

BOOST_AUTO_TEST_CASE(yields_from_nested_calls_at_any_depth) {
    auto t = node(4, node(2, leaf(1), leaf(3)), node(6, leaf(5), leaf(7)));
    fiber_generator<int> g([&](yielder<int>& y) { in_order(t.get(), y); });
    ints seen;
    for (int v : g)
        seen.push_back(v);
    BOOST_TEST(seen == (ints{1, 2, 3, 4, 5, 6, 7}));
    BOOST_TEST((g.state() == generator_state::closed));

    fiber_generator<int> d(std::size_t{1} << 20, [](yielder<int>& y) { deep_then_yield(2000, y); });
    BOOST_TEST(d.next().value() == 1);
    BOOST_TEST(d.next().value() == 2);
    BOOST_TEST(!d.next());
}

BOOST_AUTO_TEST_CASE(states_and_return_value) {
    auto g = counted(2);
    BOOST_TEST((g.state() == generator_state::created));
    BOOST_CHECK_THROW(g.return_value(), corolla::invalid_state_error);
    BOOST_TEST(g.next().value() == 0);
    BOOST_TEST((g.state() == generator_state::suspended));
    BOOST_TEST(g.next().value() == 1);
    BOOST_TEST(!g.next());
    BOOST_TEST((g.state() == generator_state::closed));
    BOOST_TEST(g.return_value() == 20);
    BOOST_TEST(!g.next());  // stays exhausted
}

BOOST_AUTO_TEST_CASE(send_delivers_values_and_the_first_must_be_next) {
    strings log;
    fiber_generator<int, std::string> g([&](yielder<int, std::string>& y) {
        int total = 0;
        for (;;) {
            std::optional<std::string> word = y.yield(total);
            if (!word) {
                log.push_back("(next)");
                continue;
            }
            if (*word == "stop") return;
            log.push_back(*word);
            total += static_cast<int>(word->size());
        }
    });
    BOOST_CHECK_THROW(g.send("early"), corolla::invalid_state_error);
    BOOST_TEST((g.state() == generator_state::created));
    BOOST_TEST(g.next().value() == 0);
    BOOST_TEST(g.send("ab").value() == 2);
    BOOST_TEST(g.next().value() == 2);  // resumed without a value: the yield gives empty
    BOOST_TEST(g.send("cde").value() == 5);
    BOOST_TEST(!g.send("stop"));
    BOOST_TEST(log == (strings{"ab", "(next)", "cde"}));
}

BOOST_AUTO_TEST_CASE(throw_raises_at_the_yield_point_caught_or_not) {
    fiber_generator<int> g([](yielder<int>& y) {
        try {
            y.yield(1);
        } catch (const std::runtime_error&) {
            y.yield(100);  // caught: goes on
        }
        y.yield(2);
    });
    BOOST_TEST(g.next().value() == 1);
    BOOST_TEST(g.throw_(std::runtime_error("x")).value() == 100);
    BOOST_CHECK_THROW(g.throw_(std::logic_error("uncaught")), std::logic_error);
    BOOST_TEST((g.state() == generator_state::closed));

    fiber_generator<int> fresh([](yielder<int>& y) { y.yield(1); });
    BOOST_CHECK_THROW(fresh.throw_(std::runtime_error("x")), std::runtime_error);  // created: closed, rethrown
    BOOST_TEST((fresh.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(close_runs_cleanup_and_refuses_a_yield_during_close) {
    strings log;
    struct raii {
        strings& l;
        ~raii() { l.push_back("destructor"); }
    };
    fiber_generator<int> g([&](yielder<int>& y) {
        raii r{log};
        try {
            y.yield(1);
        } catch (const corolla::generator_exit&) {
            log.push_back("generator_exit");
            throw;
        }
    });
    BOOST_TEST(g.next().value() == 1);
    g.close();
    BOOST_TEST(log == (strings{"generator_exit", "destructor"}));
    BOOST_TEST((g.state() == generator_state::closed));
    g.close();  // closing again does nothing

    bool ran = false;
    fiber_generator<int> never([&](yielder<int>& y) {
        ran = true;
        y.yield(1);
    });
    never.close();
    BOOST_TEST(!ran);

    fiber_generator<int> stubborn([](yielder<int>& y) {
        try {
            y.yield(1);
        } catch (const corolla::generator_exit&) {
        }
        y.yield(2);
    });
    stubborn.next();
    BOOST_CHECK_THROW(stubborn.close(), corolla::invalid_state_error);
    BOOST_TEST((stubborn.state() == generator_state::closed));
}

BOOST_AUTO_TEST_CASE(exceptions_escaping_the_body_reach_the_caller_and_close_it) {
    fiber_generator<int> g([](yielder<int>& y) {
        y.yield(1);
        throw std::runtime_error("broken");
    });
    BOOST_TEST(g.next().value() == 1);
    BOOST_CHECK_THROW(g.next(), std::runtime_error);
    BOOST_TEST((g.state() == generator_state::closed));
    BOOST_TEST(!g.next());
}

BOOST_AUTO_TEST_CASE(resuming_a_running_generator_is_an_error) {
    fiber_generator<int>* self = nullptr;
    std::string error;
    fiber_generator<int> g([&](yielder<int>& y) {
        BOOST_TEST((self->state() == generator_state::running));
        try {
            self->next();
        } catch (const corolla::invalid_state_error& e) {
            error = e.what();
        }
        y.yield(1);
    });
    self = &g;
    BOOST_TEST(g.next().value() == 1);
    BOOST_TEST(error == std::string("generator already executing"));
}

BOOST_AUTO_TEST_CASE(yield_from_forwards_send_throw_and_close_and_returns_the_value) {
    strings log;
    auto inner = [&log](yielder<int, int>& y) {
        int got = y.yield(1).value_or(-1);
        log.push_back("inner got " + std::to_string(got));
        try {
            y.yield(2);
        } catch (const std::runtime_error& e) {
            log.push_back(std::string("inner caught ") + e.what());
        }
        return 7;
    };
    fiber_generator<int, int, int> outer([&](yielder<int, int>& y) {
        fiber_generator<int, int, int> sub(inner);
        int r = y.yield_from(sub);
        log.push_back("sub returned " + std::to_string(r));
        y.yield(99);
        return r + 1;
    });
    BOOST_TEST(outer.next().value() == 1);
    BOOST_TEST(outer.send(5).value() == 2);
    BOOST_TEST(outer.throw_(std::runtime_error("boom")).value() == 99);
    BOOST_TEST(!outer.send(0));
    BOOST_TEST(outer.return_value() == 8);
    BOOST_TEST(log == (strings{"inner got 5", "inner caught boom", "sub returned 7"}));

    strings closes;
    fiber_generator<int> closing_outer([&](yielder<int>& y) {
        fiber_generator<int> sub([&](yielder<int>& z) {
            try {
                z.yield(1);
            } catch (const corolla::generator_exit&) {
                closes.push_back("sub closed");
                throw;
            }
        });
        try {
            y.yield_from(sub);
        } catch (const corolla::generator_exit&) {
            closes.push_back("outer closed");
            throw;
        }
    });
    BOOST_TEST(closing_outer.next().value() == 1);
    closing_outer.close();
    BOOST_TEST(closes == (strings{"sub closed", "outer closed"}));
}

BOOST_AUTO_TEST_CASE(a_generator_prints_as_python_generator_objects_do) {
    auto g = counted(3);  // nothing ran: calling the function only made the object
    const std::string printed = g.to_string();
    BOOST_TEST(printed.starts_with("<generator object counted at 0x"));
    BOOST_TEST(printed.ends_with(">"));
    BOOST_TEST((g.state() == generator_state::created));
    auto h = counted(3);
    BOOST_TEST(h.to_string() != printed);  // "at" tells the objects apart
}

BOOST_AUTO_TEST_CASE(destroying_a_suspended_generator_unwinds_its_stack) {
    int alive = 0;
    struct counted_obj {
        int& n;
        explicit counted_obj(int& c) : n(c) { ++n; }
        ~counted_obj() { --n; }
    };
    const auto before = corolla::fiber_stacks().in_use;
    {
        fiber_generator<int> g([&](yielder<int>& y) {
            counted_obj a(alive);
            for (int i = 0;; ++i)
                y.yield(i);
        });
        g.next();
        BOOST_TEST(alive == 1);
        BOOST_TEST(corolla::fiber_stacks().in_use == before + 1);
    }
    BOOST_TEST(alive == 0);
    BOOST_TEST(corolla::fiber_stacks().in_use == before);
}

BOOST_AUTO_TEST_CASE(a_generator_cannot_await_but_can_be_driven_from_tasks_of_both_styles) {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    std::string await_error;
    auto sum_of = [](fiber_generator<int, void, int>& g) {
        int s = 0;
        for (int v : g)
            s += v;
        return s + g.return_value();
    };
    auto from_fiber = corolla::spawn_fiber(loop, [&] {
        auto g = counted(4);
        corolla::this_fiber::sleep(std::chrono::seconds(1));
        fiber_generator<int> bad([&](yielder<int>&) {
            try {
                corolla::await(corolla::sleep(std::chrono::seconds(1)));
            } catch (const corolla::invalid_state_error& e) {
                await_error = e.what();
            }
        });
        bad.next();
        return sum_of(g);
    });
    auto run_in_coro = [&]() -> corolla::coro<int> {
        auto g = counted(3);
        co_await corolla::sleep(std::chrono::seconds(1));
        co_return sum_of(g);
    };
    auto from_coro = corolla::create_task(loop, run_in_coro());
    BOOST_TEST(loop.run_until_complete(from_fiber) == 0 + 1 + 2 + 3 + 40);
    BOOST_TEST(loop.run_until_complete(from_coro) == 0 + 1 + 2 + 30);
    BOOST_TEST(await_error.find("inside a stackful generator") != std::string::npos, await_error);
    loop.close();
}

BOOST_AUTO_TEST_SUITE_END()
