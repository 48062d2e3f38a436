// What only the stackful fiber_generator does, beside the shared semantics of
// generator_test.cpp: yields from plain nested calls at any depth, a body taking its
// arguments, a stack of a chosen size given back when a suspended generator is destroyed,
// and use from inside tasks of both styles (though its body cannot await). Built into
// generators.generator.fiber.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/generator.hpp>

using corolla::fiber_generator;
using corolla::generator_state;
using corolla::yielder;
using ints = std::vector<int>;

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

BOOST_AUTO_TEST_SUITE(stackful_generators)

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
