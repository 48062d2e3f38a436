// The seeds' nested-coroutine lessons in fiber style (see nested_coroutines.cpp). On a
// fiber, "awaiting another coroutine" is an ordinary call: compute() is a plain function
// that sleeps on the caller's fiber. Tasks are spawn_fiber, collected with the same wait
// and gather; a task started earlier is awaited with corolla::await. Same output.
//
// Python:   async def print_sum(x, y): result = await compute(x, y); print(...)
//           async def main(): tasks = [...]; done, pending = await asyncio.wait(tasks)
//           async def main(): return await asyncio.gather(*tasks)
//           task1 = asyncio.create_task(nested1()); await asyncio.sleep(1); print(await task1)
//
// A virtual clock makes every sleep instant and every TIME exact; the seed's blocking
// time.sleep(1) blocks for real (scaled down) and moves the virtual clock on by 1 s.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
std::shared_ptr<corolla::virtual_clock> virtual_time = std::make_shared<corolla::virtual_clock>();

void blocking_sleep(int seconds) {  // time.sleep: the thread (and so the loop) stands still
    seed::blocking_sleep(seconds);
    virtual_time->advance(std::chrono::seconds(seconds));
}

int compute(int x, int y) {
    say("Compute " + std::to_string(x) + " + " + std::to_string(y) + " ...");
    corolla::this_fiber::sleep(1s);
    return x + y;
}

void print_sum(int x, int y) {
    int result = compute(x, y);  // a plain call: it sleeps on this fiber
    say(std::to_string(x) + " + " + std::to_string(y) + " = " + std::to_string(result));
}

std::string do_some_work(int x) {
    say("Waiting: " + std::to_string(x));
    corolla::this_fiber::sleep(std::chrono::seconds(x));
    return "Done after " + std::to_string(x) + "s";
}

std::vector<corolla::future<std::string>> three_tasks(int a, int b, int c) {
    return {corolla::spawn_fiber(do_some_work, a), corolla::spawn_fiber(do_some_work, b),
            corolla::spawn_fiber(do_some_work, c)};
}

corolla::event_loop& running() { return *corolla::event_loop::running(); }

void main_wait() {
    auto tasks = three_tasks(1, 2, 4);
    auto [done, pending] = corolla::await(corolla::wait(running(), tasks));
    for (auto& task : done)
        say("Task ret: " + task.result());
}

void main_gather() {
    auto tasks = three_tasks(1, 2, 4);
    auto results = corolla::await(corolla::gather(running(), tasks));
    for (const auto& result : results)
        say("Task ret: " + result);
}

std::vector<std::string> main_return_gather() {
    auto tasks = three_tasks(1, 2, 2);
    return corolla::await(corolla::gather(running(), tasks));
}

corolla::wait_result<corolla::future<std::string>> main_return_wait() {
    auto tasks = three_tasks(1, 2, 4);
    return corolla::await(corolla::wait(running(), tasks));
}

void work_msg(int delay, std::string msg) {
    say("Task receives the message :'" + msg + "' ");
    corolla::this_fiber::sleep(std::chrono::seconds(delay));
    say(msg);
}

void sequential() {
    const auto start = running().time();
    work_msg(1, "hello");  // one after the other: a plain call
    work_msg(2, "world");
    say("Finished after " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(running().time() - start).count()) + " s");
}

std::string work_three_times(int x) {
    for (int i = 0; i < 3; ++i) {
        say("Work " + std::to_string(x) + " is running ..");
        corolla::this_fiber::sleep(1s);
    }
    return "Work " + std::to_string(x) + " is finished!";
}

void main_work() {
    std::vector<corolla::future<std::string>> tasks{corolla::spawn_fiber(work_three_times, 1),
                                                    corolla::spawn_fiber(work_three_times, 2),
                                                    corolla::spawn_fiber(work_three_times, 3)};
    auto [dones, pendings] = corolla::await(corolla::wait(running(), tasks));
    for (auto& task : dones)
        say("The task's result is : " + task.result());
}

int nested(int n) {
    say("nested" + std::to_string(n));
    corolla::this_fiber::sleep(500ms);
    say("nested" + std::to_string(n) + " is finished!");
    return n;
}

void main_nested() {
    say("main");
    auto task1 = corolla::spawn_fiber(nested, 1);  // scheduled to run soon, beside main
    auto task2 = corolla::spawn_fiber(nested, 2);
    auto task3 = corolla::spawn_fiber(nested, 3);
    auto task4 = corolla::spawn_fiber(nested, 4);
    corolla::this_fiber::sleep(1s);  // meanwhile the four run (and finish)
    say(std::to_string(corolla::await(task1)));
    say(std::to_string(corolla::await(task2)));
    say(std::to_string(corolla::await(task3)));
    say(std::to_string(corolla::await(task4)));
}

std::string factorial(const std::string& name, int number) {
    long f = 1;
    for (int i = 2; i <= number; ++i) {
        say("Task " + name + ": Compute factorial(" + std::to_string(i) + ")...");
        corolla::this_fiber::sleep(1s);
        f *= i;
    }
    say("Task " + name + ": factorial(" + std::to_string(number) + ") = " + std::to_string(f));
    return "Task " + name + ": Finished!";
}

void main_factorial() {
    auto ta = corolla::spawn_fiber(factorial, "A", 2);  // named: arguments of one call
    auto tb = corolla::spawn_fiber(factorial, "B", 3);  // have no evaluation order
    auto tc = corolla::spawn_fiber(factorial, "C", 4);
    auto [a, b, c] = corolla::await(corolla::gather(ta, tb, tc));
    say("[" + a + ", " + b + ", " + c + "]");
}

std::string work_1(int x) {
    const std::string n = std::to_string(x);
    say("Starting " + n);
    blocking_sleep(1);  // holds the whole loop
    say("Starting " + n);
    for (int i = 0; i < 3; ++i) {
        say("Work " + n + " is running ..");
        corolla::this_fiber::sleep(2s);
    }
    return "Work " + n + " is finished";
}

std::string work_2(int x) {
    const std::string n = std::to_string(x);
    say("Starting " + n);
    for (int i = 0; i < 3; ++i) {
        corolla::this_fiber::sleep(1s);
        say("Work " + n + " is running ..");
    }
    return "Work " + n + " is finished";
}

int foo() { return 42; }

void wait_one() {
    auto task = corolla::spawn_fiber(foo);
    std::vector<corolla::future<int>> one{task};
    auto [done, pending] = corolla::await(corolla::wait(running(), one));
    if (done.size() == 1 && done[0] == task) say("The task's result is " + std::to_string(task.result()));
}

}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = virtual_time}};
    bool ok = true;
    auto run = [&loop](void (*fn)()) { loop.run_until_complete(corolla::spawn_fiber(loop, fn)); };
    say("-- nested: print_sum waits for compute");
    loop.run_until_complete(corolla::spawn_fiber(loop, print_sum, 1, 2));
    say("-- main waits for its tasks");
    auto start = loop.time();
    run(main_wait);
    say("TIME: " + seed::seconds(seed::since(loop, start)));
    say("-- main gathers its tasks");
    start = loop.time();
    run(main_gather);
    say("TIME: " + seed::seconds(seed::since(loop, start)));
    say("-- main returns the gathered results");
    for (const auto& result : loop.run_until_complete(corolla::spawn_fiber(loop, main_return_gather)))
        say("Task ret: " + result);
    say("-- main returns wait's done and pending");
    auto [done, pending] = loop.run_until_complete(corolla::spawn_fiber(loop, main_return_wait));
    for (auto& task : done)
        say("Task ret: " + task.result());
    say("-- one after the other, not concurrently");
    run(sequential);
    say("-- tasks that await in a loop");
    run(main_work);
    say("-- start tasks, then await them");
    run(main_nested);
    say("-- gather the factorials");
    run(main_factorial);
    say("-- a blocking call inside a task");
    start = loop.time();
    const seed::stopwatch blocked;
    std::vector<corolla::future<std::string>> tasks{corolla::spawn_fiber(loop, work_1, 1),
                                                    corolla::spawn_fiber(loop, work_2, 2)};
    auto [dones, pendings] = loop.run_until_complete(corolla::wait(loop, tasks));
    for (auto& task : dones)
        say(task.result());
    say("TIME: " + seed::seconds(seed::since(loop, start)));
    ok = blocked.print_time(1.0);  // time.sleep(1) held the loop: nothing else ran
    say("-- wait for one task");
    run(wait_one);
    loop.close();

    return seed::check(seed_transcripts::nested_coroutines, ok);
}
