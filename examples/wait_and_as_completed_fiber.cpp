// The seeds' three ways of collecting several tasks, in fiber style (see
// wait_and_as_completed.cpp): gather, wait and as_completed over fiber tasks, awaited
// with corolla::await, plus a done-callback with a bound argument. Same output.
//
// Python:   results = await asyncio.gather(*tasks)
//           done, pending = await asyncio.wait(tasks)
//           for task in asyncio.as_completed(tasks): result = await task
//           task.add_done_callback(functools.partial(callback, 2))
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <corolla/core/as_completed.hpp>
#include <corolla/core/combinators.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>

namespace {
std::vector<std::string> lines;

void say(std::string line) {
    std::printf("%s\n", line.c_str());
    lines.push_back(std::move(line));
}

std::string do_some_work(int x) {
    say("Waiting: " + std::to_string(x));
    corolla::this_fiber::sleep(std::chrono::seconds(x));
    return "Done after " + std::to_string(x) + "s";
}

std::vector<corolla::future<std::string>> start_three(corolla::event_loop& loop, int a, int b, int c) {
    return {corolla::spawn_fiber(loop, do_some_work, a), corolla::spawn_fiber(loop, do_some_work, b),
            corolla::spawn_fiber(loop, do_some_work, c)};
}

void with_gather(corolla::event_loop& loop) {
    auto tasks = start_three(loop, 1, 2, 2);
    for (const std::string& r : corolla::await(corolla::gather(loop, tasks)))
        say("Task ret: " + r);
}

void with_wait(corolla::event_loop& loop) {
    auto tasks = start_three(loop, 1, 2, 4);
    auto [done, pending] = corolla::await(corolla::wait(loop, tasks));
    for (auto& t : done)
        say("Task ret: " + t.result());
    say("pending: " + std::to_string(pending.size()));
}

void with_as_completed(corolla::event_loop& loop) {
    auto tasks = start_three(loop, 4, 1, 2);
    for (corolla::future<std::string> next : corolla::as_completed(loop, tasks))
        say("Task ret: " + corolla::await(next));
}

void callback(int t, const corolla::future<std::string>& f) {
    say("Callback: t=" + std::to_string(t) + ", result=" + f.result());
}

double elapsed(corolla::event_loop& loop, corolla::time_point t0) {
    return std::chrono::duration<double>(loop.time() - t0).count();
}

}  // namespace

int main() {
    // A virtual clock keeps the example instant and its timings exact; drop it to see
    // real seconds pass.
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    auto t0 = loop.time();
    loop.run_until_complete(corolla::spawn_fiber(loop, with_gather, std::ref(loop)));
    say("TIME: " + std::to_string(elapsed(loop, t0)));
    t0 = loop.time();
    loop.run_until_complete(corolla::spawn_fiber(loop, with_wait, std::ref(loop)));
    say("TIME: " + std::to_string(elapsed(loop, t0)));
    t0 = loop.time();
    loop.run_until_complete(corolla::spawn_fiber(loop, with_as_completed, std::ref(loop)));
    say("TIME: " + std::to_string(elapsed(loop, t0)));

    auto task = corolla::spawn_fiber(loop, do_some_work, 2);
    task.add_done_callback([](const corolla::future<std::string>& f) { callback(2, f); });  // functools.partial
    loop.run_until_complete(task);  // our callback was added first, so it has run
    loop.close();

    const std::vector<std::string> expected{
        "Waiting: 1", "Waiting: 2", "Waiting: 2", "Task ret: Done after 1s", "Task ret: Done after 2s",
        "Task ret: Done after 2s", "TIME: 2.000000",
        // wait: done holds every task, in the order given
        "Waiting: 1", "Waiting: 2", "Waiting: 4", "Task ret: Done after 1s", "Task ret: Done after 2s",
        "Task ret: Done after 4s", "pending: 0", "TIME: 4.000000",
        // as_completed: the order they finish in
        "Waiting: 4", "Waiting: 1", "Waiting: 2", "Task ret: Done after 1s", "Task ret: Done after 2s",
        "Task ret: Done after 4s", "TIME: 4.000000", "Waiting: 2", "Callback: t=2, result=Done after 2s"};
    const bool ok = lines == expected;
    std::printf("%s\n", ok ? "behaves as in the seeds" : "UNEXPECTED OUTPUT");
    return ok ? 0 : 1;
}
