// The seeds' "stop the coroutines on Ctrl+C" programs in fiber style (see
// cancel_on_ctrl_c.cpp, whose notes on the seeds apply here too): plain functions on
// fibers, the same tasks, the same transcript. A fiber blocked in a sleep sees
// cancelled_error thrown out of it, exactly where a coroutine would. The six programs,
// each with its own loop and clock, are driven by ctrl_c_common.hpp.
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/run.hpp>

#include "ctrl_c_common.hpp"

using seed::say;

namespace {

corolla::event_loop& running() { return *corolla::event_loop::running(); }

std::string do_work(int x) {
    say("Waiting: " + std::to_string(x));
    corolla::this_fiber::sleep(std::chrono::seconds(x));
    return "Done after " + std::to_string(x) + "s";
}

// asyncio.wait(tasks) handed to run_until_complete: a coroutine, so a task of its own.
void wait_for_all(std::vector<corolla::future<std::string>> tasks) { corolla::await(corolla::wait(running(), tasks)); }

auto start_three(int a, int b, int c) {
    return [=](corolla::event_loop& loop) {
        std::vector<corolla::future<std::string>> tasks{corolla::spawn_fiber(loop, do_work, a),
                                                        corolla::spawn_fiber(loop, do_work, b),
                                                        corolla::spawn_fiber(loop, do_work, c)};
        return corolla::spawn_fiber(loop, wait_for_all, tasks);
    };
}

void main_waiting() {
    auto& tasks = ctrl_c::workers;
    tasks = {corolla::spawn_fiber(do_work, 1), corolla::spawn_fiber(do_work, 2), corolla::spawn_fiber(do_work, 4)};
    auto [done, pending] = corolla::await(corolla::wait(running(), tasks));
    for (auto& t : done)
        say("Task res: " + t.result());
}

void work(int id, int t) {
    say("Working...");
    corolla::this_fiber::sleep(std::chrono::seconds(t));
    say("Work " + std::to_string(id) + " done");
}

auto gather_work(corolla::event_loop& loop) {
    auto w1 = corolla::spawn_fiber(loop, work, 1, 1);  // in order: arguments of one call
    auto w2 = corolla::spawn_fiber(loop, work, 2, 2);  // have no evaluation order
    auto w3 = corolla::spawn_fiber(loop, work, 3, 3);
    return corolla::gather(w1, w2, w3);
}

void main_task() {
    ctrl_c::press_ctrl_c_after(running(), 1.5);
    main_waiting();
}

}  // namespace

int main(int argc, char** argv) {
    return ctrl_c::run_seed_programs(
        argc, argv, start_three, [](corolla::event_loop& loop) { return corolla::spawn_fiber(loop, main_waiting); },
        gather_work, [] { corolla::run(main_task); });
}
