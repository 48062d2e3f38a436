// The seeds' first generator lessons in fiber style (see generators_basics.cpp), with
// corolla::fiber_generator: the body is a plain function on its own fiber and yields
// through a yielder, `y.yield(v)` where the coroutine writes `co_yield v`. Calling the
// generator function only makes the object; next(), send(), range-for and return_value()
// (Python's StopIteration.value) are the same, and so is the driving code
// (generators_common.hpp) and the output. Then one section the stackless form cannot do:
// yielding from inside a recursive call.
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

#include <corolla/fiber/generator.hpp>

#include "generators_common.hpp"
#include "seed_transcripts.hpp"

using corolla::fiber_generator;
using corolla::yielder;
using generators::say;
using generators::show;

namespace {

// `res = yield 4`: the yield evaluates to what send() passed, or None for next().
fiber_generator<int, int> foo() {
    return fiber_generator<int, int>([](yielder<int, int>& y) {
        say("starting...");
        for (;;) {
            std::optional<int> res = y.yield(4);
            say("res: " + show(res));
        }
    });
}

fiber_generator<int> fibo(int n) {
    return fiber_generator<int>(
        [](yielder<int>& y, int limit) {
            int a = 0, b = 1;
            while (b < limit) {
                int next = a + b;
                a = b;
                b = next;
                y.yield(a);
            }
        },
        n);
}

fiber_generator<int> one_two_three() {
    return fiber_generator<int>([](yielder<int>& y) {
        y.yield(1);
        y.yield(2);
        y.yield(3);
    });
}

// The body's return value is the generator's (Python's `return "finish"`).
fiber_generator<int, int, std::string> gen_func() {
    return fiber_generator<int, int, std::string>([](yielder<int, int>& y) -> std::string {
        auto a = y.yield(1);
        say("a: " + show(a));
        auto b = y.yield(2);
        say("b: " + show(b));
        auto c = y.yield(3);
        say("c: " + show(c));
        return "finish";
    });
}

// Fiber only: a plain recursive function yields from whatever depth it has reached. A
// Python (or co_yield) generator needs `yield from hanoi(...)` at every level, one
// generator object per call; here the calls are ordinary calls on the generator's fiber.
void hanoi(int n, char from, char to, char via, yielder<std::string>& y) {
    if (n == 0) return;
    hanoi(n - 1, from, via, to, y);
    y.yield(std::string{from} + " -> " + to);
    hanoi(n - 1, via, to, from, y);
}

}  // namespace

int main() {
    generators::basics(foo, fibo, one_two_three, gen_func);

    say("-- fiber only: yield from a nested call");
    fiber_generator<std::string> moves([](yielder<std::string>& y) { hanoi(2, 'A', 'C', 'B', y); });
    for (const auto& m : moves)
        say(m);

    auto expected = seed_transcripts::generators_basics;
    expected.insert(expected.end(), {"-- fiber only: yield from a nested call", "A -> B", "A -> C", "B -> C"});
    return seed::check(expected);
}
