// The style-free half of the generator examples. corolla::generator (stackless) and
// corolla::fiber_generator (stackful) share one interface — next, send, throw_, close,
// state, range-for, return_value, to_string — so the seeds' driving code is written once
// here, over whichever generator functions a style gives it. generators_*.cpp keep only
// the generator bodies, the one thing that differs between the styles.
#pragma once

#include <array>
#include <optional>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <corolla/coro/generator.hpp>

#include "seed_common.hpp"

namespace generators {

using seed::say;

inline std::string show(const std::optional<int>& v) { return v ? std::to_string(*v) : "None"; }

/// A Python list of strings: ['a', 'b'].
inline std::string show(const std::vector<std::string>& v) {
    std::string s = "[";
    for (const auto& x : v)
        s += (s.size() > 1 ? ", '" : "'") + x + "'";
    return s + "]";
}

/// inspect.getgeneratorstate(g)
inline std::string state_name(corolla::generator_state s) {
    switch (s) {
    case corolla::generator_state::created: return "GEN_CREATED";
    case corolla::generator_state::running: return "GEN_RUNNING";
    case corolla::generator_state::suspended: return "GEN_SUSPENDED";
    case corolla::generator_state::closed: return "GEN_CLOSED";
    }
    return "?";
}

/// The seeds' @coroutine decorator: runs a new generator to its first yield.
template <class G>
G primed(G g) {
    g.next();
    return g;
}

/// The seeds' send loop over a generator returning a string: send(None), send(1), ...;
/// the last send ends it, and the seed prints the StopIteration it raised: its value.
template <class G>
void send_one_to_three(G gen) {
    for (int i = 0; i < 4; ++i) {
        // send(None) is next(); a generator refuses any other value before it started.
        std::optional<int> v = i == 0 ? gen.next() : gen.send(i);
        if (v)
            say(std::to_string(*v));
        else
            say("e: " + gen.return_value());  // print("e: ", e): the StopIteration's value
    }
}

/// generators_basics: yield as a resumable return, next(), send(), for, the return value.
/// foo() is the seeds' `res = yield 4` loop, fibo(n) the Fibonacci numbers below n,
/// one_two_three() yields 1, 2, 3, gen_func() receives three sends and returns "finish".
template <class Foo, class Fibo, class OneTwoThree, class GenFunc>
void basics(Foo foo, Fibo fibo, OneTwoThree one_two_three, GenFunc gen_func) {
    say("-- next");
    auto g = foo();                     // runs nothing: calling a generator function only
    seed::print_object(g.to_string());  // makes the object; "starting..." waits for next()
    say(std::to_string(*g.next()));
    say(std::string(20, '*'));
    say(std::to_string(*g.next()));

    say("-- send");
    auto h = foo();
    say(std::to_string(*h.next()));
    say(std::string(20, '*'));
    say(std::to_string(*h.send(10)));

    say("-- for");
    auto f = fibo(100);
    seed::print_object(f.to_string());  // print(f)
    for (int x : f)
        say(std::to_string(x));
    for (int x : one_two_three())
        say(std::to_string(x));
    auto three = one_two_three();
    for (int i = 0; i < 3; ++i)
        say(std::to_string(*three.next()));

    say("-- return value");
    send_one_to_three(gen_func());
}

/// generators_coroutines: two generators taking turns, a producer driving a consumer,
/// the four states with throw_() and close(), priming, and the returned value. task_a()
/// prints ----A---- at each next(); customer() consumes what is sent until an empty
/// string; lifecycle() yields what it was sent and survives a ValueError; collector()
/// collects what is sent until "CLOSE" and returns the list.
template <class TaskA, class Customer, class Lifecycle, class Collector>
void coroutines(TaskA task_a, Customer customer, Lifecycle lifecycle, Collector collector) {
    say("-- taking turns");
    auto a = task_a();
    for (int i = 0; i < 3; ++i) {  // the seed's endless B, three rounds
        say("----B----");
        a.next();
    }

    say("-- producer and consumer");
    auto c = customer();
    c.next();  // c.send(None)
    for (int i = 1; i <= 5; ++i) {
        say("producer makes product " + std::to_string(i));
        c.send(std::to_string(i));
    }

    say("-- lifecycle");
    auto g = lifecycle();
    say(state_name(g.state()));
    say(*g.next());
    say(state_name(g.state()));
    say(*g.send("Hello Generator"));
    say(*g.throw_(std::invalid_argument("ValueError")));
    g.close();
    say(state_name(g.state()));

    say("-- primed");
    auto p = primed(lifecycle());
    say(state_name(p.state()));

    say("-- return value");
    auto s = primed(collector());
    s.send("hello");
    s.send("coroutine");
    if (!s.send("CLOSE"))  // the seed's g.send('CLOSE') raises StopIteration(value)
        say("StopIteration: " + show(s.return_value()));
    auto r = primed(collector());
    std::vector<std::string> value;
    for (const char* word : {"hello", "coroutine", "CLOSE"}) {
        if (!r.send(word)) {  // empty: the generator returned (except StopIteration as e)
            value = r.return_value();
            say("END");
        }
    }
    say(show(value));
}

/// generators_yield_from: itertools.chain and the two generators that rebuild it (each
/// object shown, the sequence printed as often as the seed prints it), the country-code
/// sorter behind a delegator, and a return value passed up through `yield from`.
template <class ChainYield, class ChainYieldFrom, class SupCoro, class Middle>
void yield_from(ChainYield chain_yield, ChainYieldFrom chain_yield_from, SupCoro sup_coro, Middle middle) {
    const std::set<std::string> words{"one", "two"};        // Python's set has no fixed order
    const std::vector<std::string> letters{"a", "c", "e"};  // list('ace')
    const std::array<std::vector<std::string>, 2> parts{std::vector<std::string>(words.begin(), words.end()), letters};

    say("-- chain");
    auto c = parts | std::views::join;  // itertools.chain({'one', 'two'}, list('ace'))
    seed::print_object(seed::repr("std::ranges::join_view", &c));
    for (const auto& s : c)
        say(s);
    auto cy = chain_yield(words, letters);
    seed::print_object(cy.to_string());
    for (const auto& s : cy)
        say(s);
    auto again = parts | std::views::join;  // the seed shows chain(...) once more
    seed::print_object(seed::repr("std::ranges::join_view", &again));
    auto cyf = chain_yield_from(words, letters);
    seed::print_object(cyf.to_string());
    for (const auto& s : cyf)
        say(s);

    say("-- sorted country codes");  // the codes the seed's Faker drew in its printout
    const std::vector<std::vector<std::string>> nest_country_list{
        {"KP", "NR", "KN"}, {"GE", "MT", "GN"}, {"CY", "CO", "AE"}};
    for (const auto& country_list : nest_country_list) {
        say("country codes " + show(country_list));
        auto sup = primed(sup_coro());
        for (const auto& country : country_list)
            sup.send(country);
        sup.send("CLOSE");  // ends sub_coro; its return value lands in sup_coro
    }

    say("-- return value through yield from");
    send_one_to_three(middle());
}

}  // namespace generators
