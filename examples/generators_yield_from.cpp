// The seeds' `yield from` lessons with corolla::yield_from: flattening nested loops
// (itertools.chain), handing control to a sub-generator that sorts country codes sent
// through its delegator, and a delegator receiving its sub-generator's return value.
// As in the seed, the chain and the two generators rebuilding it are each shown as an
// object (C++'s itertools.chain here is std::views::join) and each prints the sequence.
// The driving code is generators_common.hpp's, shared with the fiber twin.
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

#include <corolla/coro/generator.hpp>

#include "generators_common.hpp"
#include "seed_transcripts.hpp"

using corolla::generator;
using corolla::yield_from;
using generators::say;
using generators::show;

namespace {

// Nested loops, then the same with yield_from over any range.
generator<std::string> chain_yield(const std::set<std::string>& first, const std::vector<std::string>& second) {
    for (const auto& i : first)
        co_yield i;
    for (const auto& i : second)
        co_yield i;
}

generator<std::string> chain_yield_from(const std::set<std::string>& first, const std::vector<std::string>& second) {
    co_yield yield_from(first);
    co_yield yield_from(second);
}

// The sub-generator does the work; values sent to the delegator arrive here.
generator<std::monostate, std::string, std::vector<std::string>> sub_coro() {
    std::vector<std::string> sub_list;
    for (;;) {
        std::optional<std::string> value = co_yield {};
        if (value && *value == "CLOSE") break;
        if (value) sub_list.push_back(*value);
    }
    std::sort(sub_list.begin(), sub_list.end());
    co_return sub_list;
}

generator<std::monostate, std::string> sup_coro() {
    for (;;) {
        std::vector<std::string> sup_list = co_yield yield_from(sub_coro());
        say("sorted " + show(sup_list));
        say("--------------------------------");
    }
}

generator<int, int, int> gen_func() {
    auto a = co_yield 1;
    say("a: " + show(a));
    auto b = co_yield 2;
    say("b: " + show(b));
    auto c = co_yield 3;
    say("c: " + show(c));
    co_return 4;
}

generator<int, int, std::string> middle() {
    int ret = co_yield yield_from(gen_func());  // sends pass straight through to gen_func
    say("ret: " + std::to_string(ret));
    co_return "middle Exception";
}

}  // namespace

int main() {
    generators::yield_from(chain_yield, chain_yield_from, sup_coro, middle);
    return seed::check(seed_transcripts::generators_yield_from);
}
