// The seeds' Event lesson: two tasks wait for an event that a plain callback sets 0.1 s
// later; both go on at once, without taking anything (unlike the lock).
//
// Python:   event = asyncio.Event()
//           loop.call_later(0.1, functools.partial(set_event, event))
//           await asyncio.wait([test('e1', event), test('e2', event)])
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/sync/event.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
const char* py_bool(bool b) { return b ? "True" : "False"; }

corolla::coro<void> test(std::string name, corolla::event& event) {
    say(name + " waiting for event");
    co_await event.wait();
    say(name + " triggered");
}

corolla::coro<void> main_task(corolla::event_loop& loop) {
    corolla::event event;
    say(std::string("event start state: ") + py_bool(event.is_set()));
    loop.call_later(100ms, [&event] {
        say("setting event in callback");
        event.set();
    });
    std::vector<corolla::future<void>> tests{corolla::create_task(loop, test("e1", event)),
                                             corolla::create_task(loop, test("e2", event))};
    co_await corolla::wait(loop, tests);
    say(std::string("event end state: ") + py_bool(event.is_set()));
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    loop.run_until_complete(corolla::create_task(loop, main_task(loop)));
    loop.close();
    return seed::check(seed_transcripts::sync_event);
}
