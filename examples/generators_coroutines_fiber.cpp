// The seeds' "generators become coroutines" lessons in fiber style (see
// generators_coroutines.cpp), with corolla::fiber_generator: two generators taking turns,
// a producer driving a consumer with send(), the four states, throw_() and close(), a
// priming helper and the value a coroutine returns. The bodies are plain functions that
// yield through a yielder; the interface, the driving code (generators_common.hpp) and
// the output are the same. Then one section the stackless form cannot do: a consumer
// that receives inside helper functions.
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
#include <optional>
#include <stdexcept>
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
using generators::state_name;

namespace {

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
    generators::coroutines(task_a, customer, lifecycle, collector);

    say("-- fiber only: receiving inside helper functions");
    auto orders = primed(string_coro([](string_yielder& y) {
        while (read_order(y)) {
        }
    }));
    for (const char* word : {"apple", "3", "pear", "2", ""})
        orders.send(word);
    say(state_name(orders.state()));

    auto expected = seed_transcripts::generators_coroutines;
    expected.insert(expected.end(), {"-- fiber only: receiving inside helper functions", "order: 3 x apple",
                                     "order: 2 x pear", "GEN_CLOSED"});
    return seed::check(expected);
}
