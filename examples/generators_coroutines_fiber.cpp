// The seeds' "generators become coroutines" lessons in fiber style (see
// generators_coroutines.cpp), with corolla::fiber_generator: two generators taking turns,
// a producer driving a consumer with send(), the four states, throw_() and close(), a
// priming helper and the value a coroutine returns. The bodies are plain functions that
// yield through a yielder; the interface and the output are the same. Then one section
// the stackless form cannot do: a consumer that receives inside helper functions.
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

#include <corolla/fiber/generator.hpp>

using corolla::fiber_generator;
using corolla::yielder;

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

using string_coro = fiber_generator<std::string, std::string>;
using string_yielder = yielder<std::string, std::string>;

// `yield` with no value: Yield is std::monostate and the body writes `y.yield({})`.
fiber_generator<std::monostate> task_a() {
    return fiber_generator<std::monostate>([](yielder<std::monostate>& y) {
        for (;;) {
            say("----A----");
            y.yield({});
        }
    });
}

void task_b(fiber_generator<std::monostate>& a, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        say("----B----");
        a.next();
    }
}

string_coro customer() {
    return string_coro([](string_yielder& y) {
        std::string res;
        for (;;) {
            std::optional<std::string> data = y.yield(res);
            if (!data || data->empty()) return;  // Python: `if not data: return`
            say("consumer consumes product " + *data);
        }
    });
}

void produce(string_coro& c) {
    c.next();  // c.send(None)
    for (int i = 1; i <= 5; ++i) {
        say("producer makes product " + std::to_string(i));
        c.send(std::to_string(i));
    }
}

// The generator lifecycle: throw(ValueError) is caught at the yield and it goes on.
string_coro lifecycle() {
    return string_coro([](string_yielder& y) {
        std::string i = "activate the generator";
        for (;;) {
            std::optional<std::string> value;
            try {
                value = y.yield(i);
            } catch (const std::invalid_argument&) {  // Python's ValueError
                say("Over");
            }
            if (value) i = *value;
        }
    });
}

// `value = yield`, `return l`: the list comes back as StopIteration.value.
fiber_generator<std::monostate, std::string, std::vector<std::string>> collector() {
    return fiber_generator<std::monostate, std::string, std::vector<std::string>>(
        [](yielder<std::monostate, std::string>& y) {
            std::vector<std::string> l;
            for (;;) {
                std::optional<std::string> value = y.yield({});
                if (value && *value == "CLOSE") break;
                if (value) l.push_back(*value);
            }
            return l;
        });
}

std::string join(const std::vector<std::string>& v) {
    std::string s = "[";
    for (const auto& x : v)
        s += (s.size() > 1 ? ", '" : "'") + x + "'";
    return s + "]";
}

// Fiber only: the consumer's `data = yield` sits in a helper, called from another helper
// that reads one order (an item, then a count). A stackless consumer must keep every
// yield in its own body (or make each helper a sub-generator and `yield from` it).
std::string receive(string_yielder& y) { return y.yield("").value_or(""); }

bool read_order(string_yielder& y) {
    std::string item = receive(y);
    if (item.empty()) return false;
    std::string count = receive(y);
    say("order: " + count + " x " + item);
    return true;
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

    say("-- fiber only: receiving inside helper functions");
    auto orders = primed(string_coro([](string_yielder& y) {
        while (read_order(y)) {
        }
    }));
    for (const char* word : {"apple", "3", "pear", "2", ""})
        orders.send(word);
    say(state_name(orders.state()));

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
                                            "['hello', 'coroutine']",
                                            "-- fiber only: receiving inside helper functions",
                                            "order: 3 x apple",
                                            "order: 2 x pear",
                                            "GEN_CLOSED"};
    const bool ok = lines == expected;
    std::printf("%s\n", ok ? "output as expected" : "UNEXPECTED OUTPUT");
    return ok ? 0 : 1;
}
