// The seeds' nested-coroutine lessons: a coroutine awaiting another (compute / print_sum),
// a main coroutine that starts tasks and collects them with wait or gather (handling the
// results inside, or returning them to run_until_complete), awaiting one coroutine after
// another (sequential, not concurrent), tasks started with create_task and awaited
// later, the factorial gather from the asyncio docs, a blocking call inside a task, and
// waiting for a single task.
//
// Python:   async def print_sum(x, y): result = await compute(x, y); print(...)
//           async def main(): tasks = [...]; done, pending = await asyncio.wait(tasks)
//           async def main(): return await asyncio.gather(*tasks)
//           results = loop.run_until_complete(main())
//           task1 = asyncio.create_task(nested1()); await asyncio.sleep(1); print(await task1)
//
// A virtual clock makes every sleep instant, and the sections whose seeds print a TIME
// print it too, measured on the loop's clock. The seed's blocking time.sleep(1) is a real
// (scaled-down) blocking sleep that also moves the virtual clock on by 1 s, as the real
// one would; its section prints the loop's TIME and the real time the loop was held.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using corolla::coro;
using namespace std::chrono_literals;

using seed::say;

namespace {
std::shared_ptr<corolla::virtual_clock> virtual_time = std::make_shared<corolla::virtual_clock>();

void blocking_sleep(int seconds) {  // time.sleep: the thread (and so the loop) stands still
    seed::blocking_sleep(seconds);
    virtual_time->advance(std::chrono::seconds(seconds));
}

coro<int> compute(int x, int y) {
    say("Compute " + std::to_string(x) + " + " + std::to_string(y) + " ...");
    co_await corolla::sleep(1s);
    co_return x + y;
}

coro<void> print_sum(int x, int y) {
    int result = co_await compute(x, y);  // runs inside this task, as `await compute(...)`
    say(std::to_string(x) + " + " + std::to_string(y) + " = " + std::to_string(result));
}

coro<std::string> do_some_work(int x) {
    say("Waiting: " + std::to_string(x));
    co_await corolla::sleep(std::chrono::seconds(x));
    co_return "Done after " + std::to_string(x) + "s";
}

std::vector<corolla::future<std::string>> three_tasks(int a, int b, int c) {
    return {corolla::create_task(do_some_work(a)), corolla::create_task(do_some_work(b)),
            corolla::create_task(do_some_work(c))};
}

corolla::event_loop& running() { return *corolla::event_loop::running(); }

coro<void> main_wait() {
    auto tasks = three_tasks(1, 2, 4);
    auto [done, pending] = co_await corolla::wait(running(), tasks);
    for (auto& task : done)
        say("Task ret: " + task.result());
}

coro<void> main_gather() {
    auto tasks = three_tasks(1, 2, 4);
    auto results = co_await corolla::gather(running(), tasks);
    for (const auto& result : results)
        say("Task ret: " + result);
}

coro<std::vector<std::string>> main_return_gather() {
    auto tasks = three_tasks(1, 2, 2);
    co_return co_await corolla::gather(running(), tasks);
}

coro<corolla::wait_result<corolla::future<std::string>>> main_return_wait() {
    auto tasks = three_tasks(1, 2, 4);
    co_return co_await corolla::wait(running(), tasks);
}

coro<void> work_msg(int delay, std::string msg) {
    say("Task receives the message :'" + msg + "' ");
    co_await corolla::sleep(std::chrono::seconds(delay));
    say(msg);
}

coro<void> sequential() {
    const auto start = running().time();
    co_await work_msg(1, "hello");  // one after the other: awaiting a coroutine is a call
    co_await work_msg(2, "world");
    say("Finished after " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(running().time() - start).count()) + " s");
}

coro<std::string> work_three_times(int x) {
    for (int i = 0; i < 3; ++i) {
        say("Work " + std::to_string(x) + " is running ..");
        co_await corolla::sleep(1s);
    }
    co_return "Work " + std::to_string(x) + " is finished!";
}

coro<void> main_work() {
    std::vector<corolla::future<std::string>> tasks{corolla::create_task(work_three_times(1)),
                                                    corolla::create_task(work_three_times(2)),
                                                    corolla::create_task(work_three_times(3))};
    auto [dones, pendings] = co_await corolla::wait(running(), tasks);
    for (auto& task : dones)
        say("The task's result is : " + task.result());
}

coro<int> nested(int n) {
    say("nested" + std::to_string(n));
    co_await corolla::sleep(500ms);
    say("nested" + std::to_string(n) + " is finished!");
    co_return n;
}

coro<void> main_nested() {
    say("main");
    auto task1 = corolla::create_task(nested(1));  // scheduled to run soon, beside main
    auto task2 = corolla::create_task(nested(2));
    auto task3 = corolla::create_task(nested(3));
    auto task4 = corolla::create_task(nested(4));
    co_await corolla::sleep(1s);  // meanwhile the four run (and finish)
    say(std::to_string(co_await task1));
    say(std::to_string(co_await task2));
    say(std::to_string(co_await task3));
    say(std::to_string(co_await task4));
}

coro<std::string> factorial(std::string name, int number) {
    long f = 1;
    for (int i = 2; i <= number; ++i) {
        say("Task " + name + ": Compute factorial(" + std::to_string(i) + ")...");
        co_await corolla::sleep(1s);
        f *= i;
    }
    say("Task " + name + ": factorial(" + std::to_string(number) + ") = " + std::to_string(f));
    co_return "Task " + name + ": Finished!";
}

coro<void> main_factorial() {
    auto ta = corolla::create_task(factorial("A", 2));  // named: arguments of one call
    auto tb = corolla::create_task(factorial("B", 3));  // have no evaluation order
    auto tc = corolla::create_task(factorial("C", 4));
    auto [a, b, c] = co_await corolla::gather(ta, tb, tc);
    say("[" + a + ", " + b + ", " + c + "]");
}

coro<std::string> work_1(int x) {
    const std::string n = std::to_string(x);
    say("Starting " + n);
    blocking_sleep(1);  // holds the whole loop
    say("Starting " + n);
    for (int i = 0; i < 3; ++i) {
        say("Work " + n + " is running ..");
        co_await corolla::sleep(2s);
    }
    co_return "Work " + n + " is finished";
}

coro<std::string> work_2(int x) {
    const std::string n = std::to_string(x);
    say("Starting " + n);
    for (int i = 0; i < 3; ++i) {
        co_await corolla::sleep(1s);
        say("Work " + n + " is running ..");
    }
    co_return "Work " + n + " is finished";
}

coro<int> foo() { co_return 42; }

coro<void> wait_one() {
    auto task = corolla::create_task(foo());
    std::vector<corolla::future<int>> one{task};
    auto [done, pending] = co_await corolla::wait(running(), one);
    if (done.size() == 1 && done[0] == task) say("The task's result is " + std::to_string(task.result()));
}

}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = virtual_time}};
    bool ok = true;
    auto run = [&loop](coro<void> c) { loop.run_until_complete(corolla::create_task(loop, std::move(c))); };
    say("-- nested: print_sum waits for compute");
    run(print_sum(1, 2));
    say("-- main waits for its tasks");
    auto start = loop.time();
    run(main_wait());
    say("TIME: " + seed::seconds(seed::since(loop, start)));
    say("-- main gathers its tasks");
    start = loop.time();
    run(main_gather());
    say("TIME: " + seed::seconds(seed::since(loop, start)));
    say("-- main returns the gathered results");
    for (const auto& result : loop.run_until_complete(corolla::create_task(loop, main_return_gather())))
        say("Task ret: " + result);
    say("-- main returns wait's done and pending");
    auto [done, pending] = loop.run_until_complete(corolla::create_task(loop, main_return_wait()));
    for (auto& task : done)
        say("Task ret: " + task.result());
    say("-- one after the other, not concurrently");
    run(sequential());
    say("-- tasks that await in a loop");
    run(main_work());
    say("-- start tasks, then await them");
    run(main_nested());
    say("-- gather the factorials");
    run(main_factorial());
    say("-- a blocking call inside a task");
    start = loop.time();
    const seed::stopwatch blocked;
    std::vector<corolla::future<std::string>> tasks{corolla::create_task(loop, work_1(1)),
                                                    corolla::create_task(loop, work_2(2))};
    auto [dones, pendings] = loop.run_until_complete(corolla::wait(loop, tasks));
    for (auto& task : dones)
        say(task.result());
    say("TIME: " + seed::seconds(seed::since(loop, start)));
    ok = blocked.print_time(1.0);  // time.sleep(1) held the loop: nothing else ran
    say("-- wait for one task");
    run(wait_one());
    loop.close();

    return seed::check(seed_transcripts::nested_coroutines, ok);
}
