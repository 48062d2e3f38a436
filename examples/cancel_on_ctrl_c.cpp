// The seeds' "stop the coroutines on Ctrl+C" programs, each as a part of its own with its
// own loop and clock, Ctrl+C arriving where the seed's user pressed it:
//  1. all_tasks(), print each cancel(): Ctrl+C right away, before the first task finishes;
//  2. the same with Ctrl+C at 1.4 s, after the first task finished;
//  3. print(asyncio.gather(*all_tasks()).cancel()) with the tasks inside main(), at 3.1 s;
//  4. only loop.stop() in the KeyboardInterrupt handler;
//  5. the walk over all_tasks() printing each task and its state before and after cancel();
//  6. asyncio.run(main()): Ctrl+C cancels the main task, run() cancels the rest.
// Press Ctrl+C in each part, or pass --simulate-ctrl-c to have the program send itself
// SIGINT at the seed's moments on a virtual clock (what the test does); TIME is measured.
//
// Where the seeds' printouts differ from current asyncio (3.12), this follows asyncio:
// - asyncio.Task.all_tasks() is gone; asyncio.all_tasks(loop) lists only the tasks not
//   done yet, so the finished task and its `False` (seed 2's printout) are not there.
// - asyncio.wait(tasks) given to run_until_complete is a coroutine that runs as a task of
//   its own: all_tasks() lists it, and cancelling it is one more True. Here too.
// - loop.stop() does not cancel anything (seed 4's comment says it does, and prints an
//   uninterrupted run): the tasks are still pending afterwards, and closing the loop
//   abandons them (asyncio warns "Task was destroyed but it is pending!" at exit).
// - cancel() only requests the cancellation: the task is still PENDING right after it.
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/coro/run.hpp>

#include "ctrl_c_common.hpp"

using corolla::coro;
using seed::say;

namespace {

corolla::event_loop& running() { return *corolla::event_loop::running(); }

coro<std::string> do_work(int x) {
    say("Waiting: " + std::to_string(x));
    co_await corolla::sleep(std::chrono::seconds(x));
    co_return "Done after " + std::to_string(x) + "s";
}

// asyncio.wait(tasks) handed to run_until_complete: a coroutine, so a task of its own.
coro<void> wait_for_all(std::vector<corolla::future<std::string>> tasks) { co_await corolla::wait(running(), tasks); }

auto start_three(int a, int b, int c) {
    return [=](corolla::event_loop& loop) {
        std::vector<corolla::future<std::string>> tasks{corolla::create_task(loop, do_work(a)),
                                                        corolla::create_task(loop, do_work(b)),
                                                        corolla::create_task(loop, do_work(c))};
        return corolla::create_task(loop, wait_for_all(tasks));
    };
}

coro<void> main_waiting() {
    auto& tasks = ctrl_c::workers;
    tasks = {corolla::create_task(do_work(1)), corolla::create_task(do_work(2)), corolla::create_task(do_work(4))};
    auto [done, pending] = co_await corolla::wait(running(), tasks);
    for (auto& t : done)
        say("Task res: " + t.result());
}

coro<void> work(int id, int t) {
    say("Working...");
    co_await corolla::sleep(std::chrono::seconds(t));
    say("Work " + std::to_string(id) + " done");
}

auto gather_work(corolla::event_loop& loop) {
    auto w1 = corolla::create_task(loop, work(1, 1));  // in order: arguments of one call
    auto w2 = corolla::create_task(loop, work(2, 2));  // have no evaluation order
    auto w3 = corolla::create_task(loop, work(3, 3));
    return corolla::gather(w1, w2, w3);
}

coro<void> main_task() {
    ctrl_c::press_ctrl_c_after(running(), 1.5);
    co_await main_waiting();
}

}  // namespace

int main(int argc, char** argv) {
    return ctrl_c::run_seed_programs(
        argc, argv, start_three, [](corolla::event_loop& loop) { return corolla::create_task(loop, main_waiting()); },
        gather_work, [] { corolla::run(main_task()); });
}
