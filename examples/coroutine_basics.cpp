// The seeds' first asyncio lessons, one section each: define a coroutine and run it, wrap
// it in a task and look at its state, bind a done-callback (with extra arguments, as
// functools.partial does: std::bind_front here), read task.result(), sleep as simulated
// I/O, several tasks at once, gather's results, and what a blocking sleep does to them.
//
// Python:   async def do_some_work(x):
//               print('Waiting: ', x); await asyncio.sleep(x); return 'Done after {}s'.format(x)
//           task = loop.create_task(do_some_work(2)); print(task)
//           task.add_done_callback(functools.partial(callback, 2))
//           loop.run_until_complete(task); print(task.result())
//           loop.run_until_complete(asyncio.wait(tasks))
//           loop.run_until_complete(asyncio.gather(task1, task2))
//
// Where the seed only sleeps, a virtual clock makes the section instant and its TIME exact.
// The seed's blocking `time.sleep` stays a real blocking sleep, scaled down (1 s → 50 ms);
// those TIME lines are measured on the real clock in seed seconds and checked to be at
// least the sum of the blocking sleeps: the loop ran nothing else meanwhile. Every
// section whose seed prints its TIME prints it here too, measured on the loop's clock.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
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

using seed::blocking_sleep;
using seed::say;
using seed::state_name;

namespace {
coro<void> do_work(int x) {  // no await inside: it runs to the end in one step
    say("Waiting: " + std::to_string(x));
    co_return;
}

coro<std::string> do_some_work(int x) {
    say("Waiting: " + std::to_string(x));
    co_return "Done after " + std::to_string(x) + "s";
}

coro<std::string> do_some_work_sleeping(int x) {
    say("Waiting: " + std::to_string(x));
    co_await corolla::sleep(std::chrono::seconds(x));  // suspends this task only
    co_return "Done after " + std::to_string(x) + "s";
}

void callback(const corolla::future<std::string>& future) { say("Callback: " + future.result()); }

void callback_with(int t, const corolla::future<std::string>& future) {
    say("Callback: " + std::to_string(t) + " " + future.result());
}

coro<void> corowork() {  // the seed's @asyncio.coroutine with a blocking time.sleep(0.1)
    say("[corowork] Start coroutine");
    blocking_sleep(0.1);
    say("[corowork] This is a coroutine");
    co_return;
}

void jesse_callback(std::string name, const corolla::future<void>& task) {
    say("[callback] Hello " + name);
    say(std::string("[callback] coroutine state: ") + (task.done() ? "FINISHED" : "PENDING"));
}

coro<std::string> corowork_named(std::string name, int t, bool blocking) {
    say("[corowork] Start coroutine " + name);
    if (blocking)
        blocking_sleep(t);  // the whole loop waits: the tasks run one after the other
    else
        co_await corolla::sleep(std::chrono::seconds(t));
    say("[corowork] Stop coroutine " + name);
    co_return "Coroutine " + name + " OK";
}

coro<void> work_running(int x) {
    for (int i = 0; i < 3; ++i)
        say("Work " + std::to_string(x) + " is running ..");
    co_return;
}

}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    bool ok = true;

    say("-- define a coroutine");
    auto start = loop.time();
    loop.run_until_complete(corolla::create_task(loop, do_work(2)));
    say("TIME: " + seed::seconds(seed::since(loop, start)));

    say("-- create a task");
    start = loop.time();
    auto task = corolla::create_task(loop, do_work(2));
    say(std::string("Task state: ") + state_name(task.task_state()));
    const std::string before = task.to_string();  // <task pending name='Task-2' coro=<...>>
    loop.run_until_complete(task);
    say(std::string("Task state: ") + state_name(task.task_state()));
    const std::string after = task.to_string();
    std::printf("  (printed as %s, then %s)\n", before.c_str(), after.c_str());
    ok = ok && before.rfind("<task pending", 0) == 0 && after.rfind("<task finished", 0) == 0;
    say("TIME: " + seed::seconds(seed::since(loop, start)));

    say("-- bind a callback");
    start = loop.time();
    auto t1 = corolla::create_task(loop, do_some_work(2));
    t1.add_done_callback(callback);
    loop.run_until_complete(t1);
    say("TIME: " + seed::seconds(seed::since(loop, start)));

    say("-- a callback with more arguments (functools.partial)");
    auto t2 = corolla::create_task(loop, do_some_work(2));
    t2.add_done_callback(std::bind_front(callback_with, 2));
    loop.run_until_complete(t2);

    say("-- the callback sees the finished task");
    const seed::stopwatch blocked;
    auto t3 = corolla::create_task(loop, corowork());
    t3.add_done_callback(std::bind_front(jesse_callback, "Jesse"));
    loop.run_until_complete(t3);
    ok = blocked.print_time(0.1) && ok;  // time.sleep(0.1) held the loop

    say("-- future and result");
    start = loop.time();
    auto t4 = corolla::create_task(loop, do_some_work(2));
    loop.run_until_complete(t4);
    say("Task ret: " + t4.result());
    say("TIME: " + seed::seconds(seed::since(loop, start)));

    say("-- await a sleep");
    start = loop.time();
    auto t5 = corolla::create_task(loop, do_some_work_sleeping(2));
    loop.run_until_complete(t5);
    say("Task ret: " + t5.result());
    say("TIME: " + seed::seconds(seed::since(loop, start)));

    say("-- concurrency");
    start = loop.time();
    std::vector<corolla::future<std::string>> tasks{corolla::create_task(loop, do_some_work_sleeping(1)),
                                                    corolla::create_task(loop, do_some_work_sleeping(2)),
                                                    corolla::create_task(loop, do_some_work_sleeping(4))};
    loop.run_until_complete(corolla::wait(loop, tasks));
    for (auto& t : tasks)
        say("Task ret: " + t.result());
    say("TIME: " + seed::seconds(seed::since(loop, start)));  // 4 s, not 1 + 2 + 4

    say("-- gather");
    start = loop.time();
    auto one = corolla::create_task(loop, corowork_named("ONE", 3, false));
    auto two = corolla::create_task(loop, corowork_named("TWO", 1, false));
    auto [r1, r2] = loop.run_until_complete(corolla::gather(one, two));  // what the tasks returned
    say("[task1] " + one.result());
    say("[task2] " + two.result());
    say("[" + r1 + ", " + r2 + "]");
    say("TIME: " + seed::seconds(seed::since(loop, start)));

    say("-- gather with a blocking sleep");
    const seed::stopwatch serial;
    auto b1 = corolla::create_task(loop, corowork_named("ONE", 3, true));
    auto b2 = corolla::create_task(loop, corowork_named("TWO", 1, true));
    auto [s1, s2] = loop.run_until_complete(corolla::gather(b1, b2));
    say("[" + s1 + ", " + s2 + "]");
    ok = serial.print_time(4.0) && ok;  // 3 + 1: one task after the other

    say("-- run_until_complete returns what the coroutine returned");
    loop.run_until_complete(corolla::create_task(loop, work_running(1)));
    say("None");  // a coro<void> returns nothing
    auto t6 = corolla::create_task(loop, do_some_work(1));
    say("result: " + loop.run_until_complete(t6));
    loop.close();

    return seed::check(seed_transcripts::coroutine_basics, ok);
}
