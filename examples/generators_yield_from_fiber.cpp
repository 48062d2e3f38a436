// The seeds' `yield from` lessons in fiber style (see generators_yield_from.cpp), with
// corolla::fiber_generator: flattening nested loops (itertools.chain), handing control to
// a sub-generator that sorts country codes sent through its delegator, and a delegator
// receiving its sub-generator's return value. `co_yield yield_from(sub)` becomes
// `y.yield_from(sub)`, which forwards send / throw_ / close the same way; yielding a plain
// range's elements is a plain function that yields. Same driving code
// (generators_common.hpp) and output, then one section the stackless form cannot do: a
// delegator whose "sub-generator" is an ordinary call.
//
// Python:   def chain_yield_from(*args):
//               for iter_obj in args: yield from iter_obj
//
//           def sub_coro():
//               sub_list = []
//               while True:
//                   value = yield
//                   if value == "CLOSE": break
//                   sub_list.append(value)
//               return sorted(sub_list)
//           @coroutine
//           def sup_coro():
//               while True:
//                   sup_list = yield from sub_coro()
//                   print("sorted", sup_list)
//
//           def middle(): ret = yield from gen_func(); print("ret: ", ret); return "middle Exception"
// The seed draws its country codes from Faker; here they are the ones its output shows.
// Python's set {'one', 'two'} iterates in no fixed order; std::set is sorted.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <corolla/fiber/generator.hpp>

#include "generators_common.hpp"
#include "seed_transcripts.hpp"

using corolla::fiber_generator;
using corolla::yielder;
using generators::primed;
using generators::say;
using generators::show;

namespace {

using strings = fiber_generator<std::string>;

// `yield from iter_obj` over a plain range: on a fiber, a plain function that yields.
template <class Range>
void yield_each(const Range& r, yielder<std::string>& y) {
    for (const auto& x : r)
        y.yield(x);
}

// Nested loops, then the same with one call per range.
strings chain_yield(const std::set<std::string>& first, const std::vector<std::string>& second) {
    return strings([&first, &second](yielder<std::string>& y) {
        for (const auto& i : first)
            y.yield(i);
        for (const auto& i : second)
            y.yield(i);
    });
}

strings chain_yield_from(const std::set<std::string>& first, const std::vector<std::string>& second) {
    return strings([&first, &second](yielder<std::string>& y) {
        yield_each(first, y);
        yield_each(second, y);
    });
}

using sorter = fiber_generator<std::monostate, std::string, std::vector<std::string>>;
using sorter_yielder = yielder<std::monostate, std::string>;

// sub_coro's body: values sent to the delegator arrive here.
std::vector<std::string> collect_sorted(sorter_yielder& y) {
    std::vector<std::string> sub_list;
    for (;;) {
        std::optional<std::string> value = y.yield({});
        if (value && *value == "CLOSE") break;
        if (value) sub_list.push_back(*value);
    }
    std::sort(sub_list.begin(), sub_list.end());
    return sub_list;
}

sorter sub_coro() { return sorter(collect_sorted); }

fiber_generator<std::monostate, std::string> sup_coro() {
    return fiber_generator<std::monostate, std::string>([](sorter_yielder& y) {
        for (;;) {
            std::vector<std::string> sup_list = y.yield_from(sub_coro());
            say("sorted " + show(sup_list));
            say("--------------------------------");
        }
    });
}

fiber_generator<int, int, int> gen_func() {
    return fiber_generator<int, int, int>([](yielder<int, int>& y) {
        auto a = y.yield(1);
        say("a: " + show(a));
        auto b = y.yield(2);
        say("b: " + show(b));
        auto c = y.yield(3);
        say("c: " + show(c));
        return 4;
    });
}

fiber_generator<int, int, std::string> middle() {
    return fiber_generator<int, int, std::string>([](yielder<int, int>& y) -> std::string {
        int ret = y.yield_from(gen_func());  // sends pass straight through to gen_func
        say("ret: " + std::to_string(ret));
        return "middle Exception";
    });
}

// Fiber only: the delegator calls collect_sorted directly. It yields on the delegator's
// own fiber, so no sub-generator is made, and its return value is an ordinary one.
fiber_generator<std::monostate, std::string> sup_direct() {
    return fiber_generator<std::monostate, std::string>([](sorter_yielder& y) {
        for (;;) {
            std::vector<std::string> sup_list = collect_sorted(y);
            say("sorted " + show(sup_list));
        }
    });
}

}  // namespace

int main() {
    generators::yield_from(chain_yield, chain_yield_from, sup_coro, middle);

    say("-- fiber only: a plain call instead of a sub-generator");
    auto direct = primed(sup_direct());
    for (const char* country : {"NZ", "FJ", "TO", "CLOSE"})
        direct.send(country);

    auto expected = seed_transcripts::generators_yield_from;
    expected.insert(expected.end(),
                    {"-- fiber only: a plain call instead of a sub-generator", "sorted ['FJ', 'NZ', 'TO']"});
    return seed::check(expected);
}
