// The seeds' first generator lessons with corolla::generator: yield as a resumable
// return, next(), send(), iterating with for, and the value a generator returns
// (Python's StopIteration.value), which here is return_value() after next() / send()
// came back empty.
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
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <corolla/coro/generator.hpp>

namespace {

std::vector<std::string> lines;

void say(std::string line) {
    std::printf("%s\n", line.c_str());
    lines.push_back(std::move(line));
}

std::string show(const std::optional<int>& v) { return v ? std::to_string(*v) : "None"; }

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
    say("-- next");
    auto g = foo();  // nothing runs yet: a generator starts at its first next()
    say(std::to_string(*g.next()));
    say(std::string(20, '*'));
    say(std::to_string(*g.next()));

    say("-- send");
    auto h = foo();
    say(std::to_string(*h.next()));
    say(std::string(20, '*'));
    say(std::to_string(*h.send(10)));

    say("-- for");
    for (int x : fibo(100))
        say(std::to_string(x));
    for (int x : one_two_three())
        say(std::to_string(x));
    auto three = one_two_three();
    say(std::to_string(*three.next()));
    say(std::to_string(*three.next()));
    say(std::to_string(*three.next()));

    say("-- return value");
    auto gen = gen_func();
    for (int i = 0; i < 4; ++i) {
        // send(None) is next(); a generator refuses any other value before it started.
        std::optional<int> v = i == 0 ? gen.next() : gen.send(i);
        if (v)
            say(std::to_string(*v));
        else
            say("e: " + gen.return_value());  // the StopIteration's value
    }

    const std::vector<std::string> expected{"-- next",
                                            "starting...",
                                            "4",
                                            "********************",
                                            "res: None",
                                            "4",  //
                                            "-- send",
                                            "starting...",
                                            "4",
                                            "********************",
                                            "res: 10",
                                            "4",  //
                                            "-- for",
                                            "1",
                                            "1",
                                            "2",
                                            "3",
                                            "5",
                                            "8",
                                            "13",
                                            "21",
                                            "34",
                                            "55",
                                            "89",  //
                                            "1",
                                            "2",
                                            "3",
                                            "1",
                                            "2",
                                            "3",  //
                                            "-- return value",
                                            "1",
                                            "a: 1",
                                            "2",
                                            "b: 2",
                                            "3",
                                            "c: 3",
                                            "e: finish"};
    const bool ok = lines == expected;
    std::printf("%s\n", ok ? "output as expected" : "UNEXPECTED OUTPUT");
    return ok ? 0 : 1;
}
