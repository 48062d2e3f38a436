// The seeds' call_soon lesson, whole: coroutine tasks and a plain callback scheduled on
// one loop, then gather over tasks.
//
// Python:   asyncio.ensure_future(work(1, 'A')); loop.call_soon(hello, 'Tom')
//           loop.create_task(work(2, 'B')); loop.run_until_complete(work(3, 'C'))
// Output order (as in the seed): start A, Hello Tom, start B, start C, A, B, C stop.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using seed::say;

namespace {
corolla::coro<std::string> work(int seconds, std::string name) {
    say("[work] start " + name);
    co_await corolla::sleep(std::chrono::seconds(seconds));
    say("[work] " + name + " after " + std::to_string(seconds) + "s stop");
    co_return name;
}
}  // namespace

int main() {
    // A virtual clock keeps the example instant; drop it to see real seconds pass.
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    auto a = corolla::create_task(loop, work(1, "A"));
    loop.call_soon([] { say("[hello] Hello, Tom"); });
    auto b = corolla::create_task(loop, work(2, "B"));
    auto c = corolla::create_task(loop, work(3, "C"));
    auto [ra, rb, rc] = loop.run_until_complete(corolla::gather(a, b, c));
    loop.close();
    return seed::check(seed_transcripts::tasks_and_callbacks, ra + rb + rc == "ABC");
}
