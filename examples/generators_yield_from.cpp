// The seeds' `yield from` lessons with corolla::yield_from: flattening nested loops
// (itertools.chain), handing control to a sub-generator that sorts country codes sent
// through its delegator, and a delegator receiving its sub-generator's return value.
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
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <corolla/coro/generator.hpp>

using corolla::generator;
using corolla::yield_from;

namespace {

std::vector<std::string> lines;

void say(std::string line) {
    std::printf("%s\n", line.c_str());
    lines.push_back(std::move(line));
}

std::string show(const std::vector<std::string>& v) {
    std::string s = "[";
    for (const auto& x : v)
        s += (s.size() > 1 ? ", '" : "'") + x + "'";
    return s + "]";
}

std::string show(const std::optional<int>& v) { return v ? std::to_string(*v) : "None"; }

template <class G>
G primed(G g) {
    g.next();
    return g;
}

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
    const std::set<std::string> words{"one", "two"};
    const std::vector<std::string> letters{"a", "c", "e"};  // list('ace')

    say("-- chain");
    for (const auto& s : chain_yield(words, letters))
        say(s);
    for (const auto& s : chain_yield_from(words, letters))
        say(s);

    say("-- sorted country codes");
    const std::vector<std::vector<std::string>> nest_country_list{
        {"KP", "NR", "KN"}, {"GE", "MT", "GN"}, {"CY", "CO", "AE"}};
    for (const auto& country_list : nest_country_list) {
        say("country codes " + show(country_list));
        auto c = primed(sup_coro());
        for (const auto& country : country_list)
            c.send(country);
        c.send("CLOSE");  // ends sub_coro; its return value lands in sup_coro
    }

    say("-- return value through yield from");
    auto mid = middle();
    for (int i = 0; i < 4; ++i) {
        std::optional<int> v = i == 0 ? mid.next() : mid.send(i);
        if (v)
            say(std::to_string(*v));
        else
            say("e: " + mid.return_value());
    }

    const std::vector<std::string> expected{"-- chain",
                                            "one",
                                            "two",
                                            "a",
                                            "c",
                                            "e",
                                            "one",
                                            "two",
                                            "a",
                                            "c",
                                            "e",                        //
                                            "-- sorted country codes",  //
                                            "country codes ['KP', 'NR', 'KN']",
                                            "sorted ['KN', 'KP', 'NR']",
                                            "--------------------------------",
                                            "country codes ['GE', 'MT', 'GN']",
                                            "sorted ['GE', 'GN', 'MT']",
                                            "--------------------------------",
                                            "country codes ['CY', 'CO', 'AE']",
                                            "sorted ['AE', 'CO', 'CY']",
                                            "--------------------------------",
                                            "-- return value through yield from",
                                            "1",
                                            "a: 1",
                                            "2",
                                            "b: 2",
                                            "3",
                                            "c: 3",
                                            "ret: 4",
                                            "e: middle Exception"};
    const bool ok = lines == expected;
    std::printf("%s\n", ok ? "output as expected" : "UNEXPECTED OUTPUT");
    return ok ? 0 : 1;
}
