// The seeds' "generators become coroutines" lessons with corolla::generator: two
// generators taking turns, a producer driving a consumer with send(), the four states
// (inspect.getgeneratorstate), throw() and close(), a priming helper (the seeds'
// @coroutine decorator) and the value a coroutine returns, printed where the seed prints
// its StopIteration and again where the seed catches it. The driving code is
// generators_common.hpp's, shared with the fiber twin; this file holds the generators.
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

#include <corolla/coro/generator.hpp>

#include "generators_common.hpp"
#include "seed_transcripts.hpp"

using generators::say;

namespace {

// `yield` with no value: Yield is std::monostate and the body writes `co_yield {}`.
corolla::generator<std::monostate> task_a() {
    for (;;) {
        say("----A----");
        co_yield {};
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

}  // namespace

int main() {
    generators::coroutines(task_a, customer, lifecycle, collector);
    return seed::check(seed_transcripts::generators_coroutines);
}
