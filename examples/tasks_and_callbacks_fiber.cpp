// The seeds' call_soon lesson in fiber style: the same program as tasks_and_callbacks.cpp
// with plain functions on fibers instead of coroutines. Same task type, same output.
//
// Python:   asyncio.ensure_future(work(1, 'A')); loop.call_soon(hello, 'Tom')
//           loop.create_task(work(2, 'B')); loop.run_until_complete(work(3, 'C'))
// Output order (as in the seed): start A, Hello Tom, start B, start C, A, B, C stop.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/fiber/fiber.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using seed::say;

namespace {
// An ordinary function: it suspends its fiber, not the thread.
std::string work(int seconds, std::string name) {
    say("[work] start " + name);
    corolla::this_fiber::sleep(std::chrono::seconds(seconds));
    say("[work] " + name + " after " + std::to_string(seconds) + "s stop");
    return name;
}
}  // namespace

int main() {
    // A virtual clock keeps the example instant; drop it to see real seconds pass.
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    auto a = corolla::spawn_fiber(loop, work, 1, "A");
    loop.call_soon([] { say("[hello] Hello, Tom"); });
    auto b = corolla::spawn_fiber(loop, work, 2, "B");
    auto c = corolla::spawn_fiber(loop, work, 3, "C");
    auto [ra, rb, rc] = loop.run_until_complete(corolla::gather(a, b, c));
    loop.close();
    return seed::check(seed_transcripts::tasks_and_callbacks, ra + rb + rc == "ABC");
}
