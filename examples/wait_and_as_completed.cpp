// The seeds' three ways of collecting several tasks, in corolla: gather (results in the
// order given), wait (done / pending sets) and as_completed (results as they finish),
// plus the callback with a bound argument (functools.partial) on a task, and the other
// seed's as_completed over tasks that finish in the order 2, 1, 3. Each part prints the
// TIME its seed prints, measured on the loop's (virtual) clock.
//
// Python:   results = await asyncio.gather(*tasks)
//           done, pending = await asyncio.wait(tasks)
//           for task in asyncio.as_completed(tasks): result = await task
//           task.add_done_callback(functools.partial(callback, 2))
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <corolla/core/as_completed.hpp>
#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using corolla::coro;

using seed::say;

namespace {
coro<std::string> do_some_work(int x) {
    say("Waiting: " + std::to_string(x));
    co_await corolla::sleep(std::chrono::seconds(x));
    co_return "Done after " + std::to_string(x) + "s";
}

std::vector<corolla::future<std::string>> start_three(corolla::event_loop& loop, int a, int b, int c) {
    return {corolla::create_task(loop, do_some_work(a)), corolla::create_task(loop, do_some_work(b)),
            corolla::create_task(loop, do_some_work(c))};
}

coro<void> with_gather(corolla::event_loop& loop) {
    auto tasks = start_three(loop, 1, 2, 2);
    for (const std::string& r : co_await corolla::gather(loop, tasks))
        say("Task ret: " + r);
}

coro<void> with_wait(corolla::event_loop& loop) {
    auto tasks = start_three(loop, 1, 2, 4);
    auto [done, pending] = co_await corolla::wait(loop, tasks);
    for (auto& t : done)
        say("Task ret: " + t.result());
    say("pending: " + std::to_string(pending.size()));
}

coro<void> with_as_completed(corolla::event_loop& loop) {
    auto tasks = start_three(loop, 4, 1, 2);
    for (corolla::future<std::string> next : corolla::as_completed(loop, tasks))
        say("Task ret: " + co_await next);
}

// The other seed's as_completed: three tasks of three 1 s steps, started in the order
// 2, 1, 3; they finish in that order, and as_completed hands them out so.
coro<std::string> work(int x) {
    for (int i = 0; i < 3; ++i) {
        say("Work " + std::to_string(x) + " is running ..");
        co_await corolla::sleep(std::chrono::seconds(1));
    }
    co_return "Work " + std::to_string(x) + " is finished!";
}

coro<void> main_work(corolla::event_loop& loop) {
    std::vector<corolla::future<std::string>> tasks{
        corolla::create_task(loop, work(2)), corolla::create_task(loop, work(1)), corolla::create_task(loop, work(3))};
    for (corolla::future<std::string> next : corolla::as_completed(loop, tasks))
        say("The task's result is : " + co_await next);
}

void callback(int t, const corolla::future<std::string>& f) {
    say("Callback: t=" + std::to_string(t) + ", result=" + f.result());
}

}  // namespace

int main() {
    // A virtual clock keeps the example instant and its timings exact; drop it to see
    // real seconds pass.
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    auto t0 = loop.time();
    loop.run_until_complete(corolla::create_task(loop, with_gather(loop)));
    say("TIME: " + std::to_string(seed::since(loop, t0)));
    t0 = loop.time();
    loop.run_until_complete(corolla::create_task(loop, with_wait(loop)));
    say("TIME: " + std::to_string(seed::since(loop, t0)));
    t0 = loop.time();
    loop.run_until_complete(corolla::create_task(loop, with_as_completed(loop)));
    say("TIME: " + std::to_string(seed::since(loop, t0)));

    auto task = corolla::create_task(loop, do_some_work(2));
    task.add_done_callback([](const corolla::future<std::string>& f) { callback(2, f); });  // functools.partial
    loop.run_until_complete(task);  // our callback was added first, so it has run
    loop.run_until_complete(corolla::create_task(loop, main_work(loop)));
    loop.close();

    return seed::check(seed_transcripts::wait_and_as_completed);
}
