// What only the stackless generator does, beside the shared semantics of generator_test.cpp:
// a default-constructed (empty) generator, yield_from over any range and over a borrowed
// generator with the rules while it is delegated to, and delegation chains of any depth
// resumed on a constant native stack. Built into generators.generator.coro.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <corolla/coro/generator.hpp>

using corolla::generator;
using corolla::generator_state;
using corolla::invalid_state_error;
using corolla::yield_from;

namespace {

generator<int, void, std::string> count_then_return(int n, std::string r) {
    for (int i = 1; i <= n; ++i)
        co_yield i;
    co_return r;
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

std::uintptr_t distance(std::uintptr_t a, std::uintptr_t b) { return a > b ? a - b : b - a; }

}  // namespace

static_assert(std::ranges::view<generator<int>>);

BOOST_AUTO_TEST_SUITE(stackless_generators)

BOOST_AUTO_TEST_CASE(a_default_constructed_generator_is_closed_and_empty) {
    generator<int> empty;
    BOOST_TEST((empty.state() == generator_state::closed));
    BOOST_TEST(!empty.next().has_value());
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

BOOST_AUTO_TEST_SUITE_END()
