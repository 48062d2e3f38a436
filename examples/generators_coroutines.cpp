// The seeds' "generators become coroutines" lessons with corolla::generator: two
// generators taking turns, a producer driving a consumer with send(), the four states
// (inspect.getgeneratorstate), throw() and close(), a priming helper (the seeds'
// @coroutine decorator) and collecting the value a coroutine returns.
//
// Python:   def customer():
//               res = ""
//               while True:
//                   data = yield res
//                   if not data: return
//                   print('consumer consumes %s' % data)
//           def produce(c):
//               c.send(None)
//               for i in range(1, 6): print('producer makes %d' % i); c.send(str(i))
//
//           g = generator(); inspect.getgeneratorstate(g); next(g); g.send("Hello Generator")
//           g.throw(ValueError); g.close(); inspect.getgeneratorstate(g)
// The seeds' time.sleep() calls (which block the whole thread — their point) are left
// out, their endless ping-pong runs three rounds, and their Chinese strings are English.
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <corolla/coro/generator.hpp>

namespace {

std::vector<std::string> lines;

void say(std::string line) {
    std::printf("%s\n", line.c_str());
    lines.push_back(std::move(line));
}

std::string state_name(corolla::generator_state s) {
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

// `yield` with no value: Yield is std::monostate and the body writes `co_yield {}`.
corolla::generator<std::monostate> task_a() {
    for (;;) {
        say("----A----");
        co_yield {};
    }
}

void task_b(corolla::generator<std::monostate>& a, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        say("----B----");
        a.next();
    }
}

corolla::generator<std::string, std::string> customer() {
    std::string res;
    for (;;) {
        std::optional<std::string> data = co_yield res;
        if (!data || data->empty()) co_return;  // Python: `if not data: return`
        say("consumer consumes product " + *data);
    }
}

void produce(corolla::generator<std::string, std::string>& c) {
    c.next();  // c.send(None)
    for (int i = 1; i <= 5; ++i) {
        say("producer makes product " + std::to_string(i));
        c.send(std::to_string(i));
    }
}

// The generator lifecycle: throw(ValueError) is caught at the yield and it goes on.
corolla::generator<std::string, std::string> lifecycle() {
    std::string i = "activate the generator";
    for (;;) {
        std::optional<std::string> value;
        try {
            value = co_yield i;
        } catch (const std::invalid_argument&) {  // Python's ValueError
            say("Over");
        }
        if (value) i = *value;
    }
}

// `value = yield`, `return l`: the list comes back as StopIteration.value.
corolla::generator<std::monostate, std::string, std::vector<std::string>> collector() {
    std::vector<std::string> l;
    for (;;) {
        std::optional<std::string> value = co_yield {};
        if (value && *value == "CLOSE") break;
        if (value) l.push_back(*value);
    }
    co_return l;
}

std::string join(const std::vector<std::string>& v) {
    std::string s = "[";
    for (const auto& x : v)
        s += (s.size() > 1 ? ", '" : "'") + x + "'";
    return s + "]";
}

}  // namespace

int main() {
    say("-- taking turns");
    auto a = task_a();
    task_b(a, 3);

    say("-- producer and consumer");
    auto c = customer();
    produce(c);

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
    auto r = primed(collector());
    std::vector<std::string> value;
    for (const char* word : {"hello", "coroutine", "CLOSE"}) {
        if (!r.send(word)) {  // empty: the generator returned (StopIteration)
            value = r.return_value();
            say("END");
        }
    }
    say(join(value));

    const std::vector<std::string> expected{"-- taking turns",
                                            "----B----",
                                            "----A----",
                                            "----B----",
                                            "----A----",
                                            "----B----",
                                            "----A----",
                                            "-- producer and consumer",
                                            "producer makes product 1",
                                            "consumer consumes product 1",
                                            "producer makes product 2",
                                            "consumer consumes product 2",
                                            "producer makes product 3",
                                            "consumer consumes product 3",
                                            "producer makes product 4",
                                            "consumer consumes product 4",
                                            "producer makes product 5",
                                            "consumer consumes product 5",
                                            "-- lifecycle",
                                            "GEN_CREATED",
                                            "activate the generator",
                                            "GEN_SUSPENDED",
                                            "Hello Generator",
                                            "Over",
                                            "Hello Generator",
                                            "GEN_CLOSED",
                                            "-- primed",
                                            "GEN_SUSPENDED",
                                            "-- return value",
                                            "END",
                                            "['hello', 'coroutine']"};
    const bool ok = lines == expected;
    std::printf("%s\n", ok ? "output as expected" : "UNEXPECTED OUTPUT");
    return ok ? 0 : 1;
}
