// The seeds' call_soon / call_later / call_at lesson in fiber style (see call_ordering.cpp):
// the work items are plain functions on fibers, scheduled in the same order as the seed's
// coroutines, and the output is the seed's, line for line.
//
// Python (s3/call_later.py):
//           asyncio.ensure_future(work(1, 'A'))
//           loop.call_later(1.2, hello, 'Tom')
//           loop.call_soon(hello, 'Kitty')
//           task4 = loop.create_task(work(2, 'B'))
//           loop.call_later(1, hello, 'Jerry')
//           loop.run_until_complete(task4)
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <corolla/fiber/fiber.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
void hello(std::string name) { say("[hello] Hello, " + name); }

// An ordinary function: the sleep suspends its fiber, not the thread.
void work(int t, std::string name) {
    say("[work " + name + "] start");
    corolla::this_fiber::sleep(std::chrono::seconds(t));
    say("[work " + name + "] stop");
}

corolla::loop_options virtual_time() { return {.clock = std::make_shared<corolla::virtual_clock>()}; }

void with_call_later() {
    say("-- call_later");
    corolla::event_loop loop{virtual_time()};
    corolla::spawn_fiber(loop, work, 1, "A");
    loop.call_later(1200ms, [] { hello("Tom"); });
    loop.call_soon([] { hello("Kitty"); });
    auto task4 = corolla::spawn_fiber(loop, work, 2, "B");
    loop.call_later(1s, [] { hello("Jerry"); });
    loop.run_until_complete(task4);
    loop.close();
}

void with_call_at() {
    say("-- call_at");
    corolla::event_loop loop{virtual_time()};
    const auto start = loop.time();
    corolla::spawn_fiber(loop, work, 1, "A");
    loop.call_at(start + 1200ms, [] { hello("Tom"); });
    loop.call_soon([] { hello("Kitty"); });
    auto task4 = corolla::spawn_fiber(loop, work, 2, "B");
    loop.call_at(start + 1s, [] { hello("Jerry"); });
    loop.run_until_complete(task4);
    loop.close();
}
}  // namespace

int main() {
    with_call_later();
    with_call_at();
    return seed::check(seed_transcripts::call_ordering);
}
