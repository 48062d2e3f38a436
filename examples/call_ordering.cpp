// The seeds' loop.call_soon / call_later / call_at lesson, printing exactly the order the
// seed explains: plain callbacks with bound arguments (functools.partial) and coroutine
// tasks on one loop; call_soon runs before any timer, timers run by deadline, and a
// call_later's delay counts from the moment it was scheduled — before the loop started —
// so Jerry (1 s, scheduled first) comes before work A's 1 s sleep ends.
//
// Python (s3/call_later.py):
//           asyncio.ensure_future(work(1, 'A'))
//           loop.call_later(1.2, hello, 'Tom')
//           loop.call_soon(hello, 'Kitty')
//           task4 = loop.create_task(work(2, 'B'))
//           loop.call_later(1, hello, 'Jerry')
//           loop.run_until_complete(task4)
// Python (call_at):  start = loop.time(); loop.call_at(start + 1.2, hello, 'Tom') ...
// A last part has only callbacks and ends run_forever with a call_at(stop).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
void hello(std::string name) { say("[hello] Hello, " + name); }

corolla::coro<void> work(int t, std::string name) {
    say("[work " + name + "] start");
    co_await corolla::sleep(std::chrono::seconds(t));
    say("[work " + name + "] stop");
}

// A virtual clock makes the example instant and its timers exact; drop it to see real
// seconds pass (the order stays the same).
corolla::loop_options virtual_time() { return {.clock = std::make_shared<corolla::virtual_clock>()}; }

void with_call_later() {
    say("-- call_later");
    corolla::event_loop loop{virtual_time()};
    corolla::create_task(loop, work(1, "A"));
    loop.call_later(1200ms, [] { hello("Tom"); });  // the lambda binds the argument
    loop.call_soon([] { hello("Kitty"); });
    auto task4 = corolla::create_task(loop, work(2, "B"));
    loop.call_later(1s, [] { hello("Jerry"); });
    loop.run_until_complete(task4);
    loop.close();
}

void with_call_at() {
    say("-- call_at");
    corolla::event_loop loop{virtual_time()};
    const auto start = loop.time();
    corolla::create_task(loop, work(1, "A"));
    loop.call_at(start + 1200ms, [] { hello("Tom"); });
    loop.call_soon([] { hello("Kitty"); });
    auto task4 = corolla::create_task(loop, work(2, "B"));
    loop.call_at(start + 1s, [] { hello("Jerry"); });
    loop.run_until_complete(task4);
    loop.close();
}

void only_callbacks() {
    say("-- callbacks and run_forever");
    corolla::event_loop loop{virtual_time()};
    const auto start = loop.time();
    auto at = [&] { return std::to_string(std::chrono::duration<double>(loop.time() - start).count()).substr(0, 3); };
    loop.call_later(1200ms, [&] { say("[hello] Hello, Tom at " + at()); });
    loop.call_soon([&] { say("[hello] Hello, Kitty at " + at()); });
    loop.call_later(1s, [&] { say("[hello] Hello, Jerry at " + at()); });
    auto never = loop.call_later(1100ms, [] { say("never"); });
    never.cancel();  // a cancelled handle never runs
    loop.call_at(start + 1500ms, [&] {
        say("[stop] at " + at());
        loop.stop();
    });
    loop.run_forever();
    loop.close();
}
}  // namespace

int main() {
    with_call_later();
    with_call_at();
    only_callbacks();
    auto expected = seed_transcripts::call_ordering;
    expected.insert(expected.end(), {"-- callbacks and run_forever", "[hello] Hello, Kitty at 0.0",
                                     "[hello] Hello, Jerry at 1.0", "[hello] Hello, Tom at 1.2", "[stop] at 1.5"});
    return seed::check(expected);
}
