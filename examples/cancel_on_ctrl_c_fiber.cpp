// The seeds' "stop the coroutines on Ctrl+C" lesson in fiber style (see
// cancel_on_ctrl_c.cpp), twice:
//  1. a loop-level SIGINT handler lists the loop's tasks (all_tasks) and cancels each one,
//     printing what cancel() returned; a fiber blocked in a sleep sees cancelled_error
//     thrown out of it, exactly where a coroutine would;
//  2. run(main) with a plain function as main: Ctrl+C cancels the main fiber, run()
//     cancels and awaits the tasks left over and reports keyboard_interrupt.
// Press Ctrl+C within the first seconds of each part, or pass --simulate-ctrl-c to have
// the program send SIGINT to itself after 1.5 s (what the test does).
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/run.hpp>

using namespace std::chrono_literals;

namespace {

bool simulate = false;
int cancelled_true = 0;

std::string do_work(int x) {
    std::printf("waiting: %d\n", x);
    corolla::this_fiber::sleep(std::chrono::seconds(x));
    return "DONE AFTER " + std::to_string(x) + "S";
}

void maybe_simulate(corolla::event_loop& loop) {
    if (simulate) loop.call_later(1500ms, [] { std::raise(SIGINT); });
}

void part_one() {
    std::printf("-- part 1: a SIGINT handler cancels every task --\n");
    corolla::event_loop loop;
    auto start = loop.time();
    std::vector<corolla::future<std::string>> tasks{corolla::spawn_fiber(loop, do_work, 1),
                                                    corolla::spawn_fiber(loop, do_work, 2),
                                                    corolla::spawn_fiber(loop, do_work, 4)};
    loop.add_signal_handler(SIGINT, [&] {
        for (const corolla::task_ref& t : corolla::all_tasks(loop))
            std::printf("%s\n", t.to_string().c_str());
        for (const corolla::task_ref& t : corolla::all_tasks(loop)) {
            bool ok = t.cancel();
            cancelled_true += ok;
            std::printf("%s\n", ok ? "True" : "False");
        }
    });
    maybe_simulate(loop);
    auto [done, pending] = loop.run_until_complete(corolla::wait(loop, tasks));
    for (auto& t : done)
        if (!t.cancelled()) std::printf("Task ret: %s\n", t.result().c_str());
    loop.remove_signal_handler(SIGINT);
    std::printf("TIME: %.1f\n", std::chrono::duration<double>(loop.time() - start).count());
}

void main_task() {
    std::vector<corolla::future<std::string>> tasks{corolla::spawn_fiber(do_work, 1), corolla::spawn_fiber(do_work, 2),
                                                    corolla::spawn_fiber(do_work, 4)};
    maybe_simulate(*corolla::event_loop::running());
    auto [done, pending] = corolla::await(corolla::wait(*corolla::event_loop::running(), tasks));
    for (auto& t : done)
        std::printf("Task res: %s\n", t.result().c_str());
}

bool part_two() {
    std::printf("-- part 2: run(main) and Ctrl+C --\n");
    try {
        corolla::run(main_task);
    } catch (const corolla::keyboard_interrupt& e) {
        std::printf("KeyboardInterrupt: %s; the remaining tasks were cancelled\n", e.what());
        return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    simulate = argc > 1 && std::strcmp(argv[1], "--simulate-ctrl-c") == 0;
    part_one();
    bool interrupted = part_two();
    if (!simulate) return 0;
    // With the simulated Ctrl+C at 1.5 s: the 2 s and 4 s tasks were cancelled in part 1
    // (task 1 was already done), and part 2 ended with keyboard_interrupt.
    const bool ok = cancelled_true == 2 && interrupted;
    std::printf("%s\n", ok ? "behaves as in the seed" : "UNEXPECTED BEHAVIOUR");
    return ok ? 0 : 1;
}
