// The seeds' first generator lessons with corolla::generator: calling a generator
// function runs nothing and only makes a generator object (printed, as the seed prints
// it), yield as a resumable return, next(), send(), iterating with for, and the value a
// generator returns (Python's StopIteration.value), which here is return_value() after
// next() / send() came back empty. The driving code is generators_common.hpp's, shared
// with the fiber twin; this file holds the generator functions.
//
// Python:   def foo():
//               print("starting...")
//               while True:
//                   res = yield 4
//                   print("res:", res)
//           g = foo(); print(next(g)); print("*" * 20); print(next(g))   # then g.send(10)
//
//           def fibo(n): a, b = 0, 1; while b < n: a, b = b, a + b; yield a
//
//           def gen_func(): a = yield 1; print("a: ", a); ...; return "finish"
//           gen.send(None); gen.send(1); ...   # the last send raises StopIteration("finish")
// One seed prints `"***20"` where it means "*" * 20; this follows the intent.
#include <optional>
#include <string>

#include <corolla/coro/generator.hpp>

#include "generators_common.hpp"
#include "seed_transcripts.hpp"

using generators::say;
using generators::show;

namespace {

// `res = yield 4`: the yield evaluates to what send() passed, or None for next().
corolla::generator<int, int> foo() {
    say("starting...");
    for (;;) {
        std::optional<int> res = co_yield 4;
        say("res: " + show(res));
    }
}

corolla::generator<int> fibo(int n) {
    int a = 0, b = 1;
    while (b < n) {
        int next = a + b;
        a = b;
        b = next;
        co_yield a;
    }
}

corolla::generator<int> one_two_three() {
    co_yield 1;
    co_yield 2;
    co_yield 3;
}

corolla::generator<int, int, std::string> gen_func() {
    auto a = co_yield 1;
    say("a: " + show(a));
    auto b = co_yield 2;
    say("b: " + show(b));
    auto c = co_yield 3;
    say("c: " + show(c));
    co_return "finish";
}

}  // namespace

int main() {
    generators::basics(foo, fibo, one_two_three, gen_func);
    return seed::check(seed_transcripts::generators_basics);
}
