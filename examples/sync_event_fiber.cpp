// The seeds' Event lesson in fiber style (see sync_event.cpp): same event, same output.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/sync/event.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
const char* py_bool(bool b) { return b ? "True" : "False"; }

void test(std::string name, corolla::event& event) {
    say(name + " waiting for event");
    corolla::await(event.wait());
    say(name + " triggered");
}

void main_fiber(corolla::event_loop& loop) {
    corolla::event event;
    say(std::string("event start state: ") + py_bool(event.is_set()));
    loop.call_later(100ms, [&event] {
        say("setting event in callback");
        event.set();
    });
    std::vector<corolla::future<void>> tests{corolla::spawn_fiber(loop, test, "e1", std::ref(event)),
                                             corolla::spawn_fiber(loop, test, "e2", std::ref(event))};
    corolla::await(corolla::wait(loop, tests));
    say(std::string("event end state: ") + py_bool(event.is_set()));
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    loop.run_until_complete(corolla::spawn_fiber(loop, main_fiber, std::ref(loop)));
    loop.close();
    return seed::check(seed_transcripts::sync_event);
}
