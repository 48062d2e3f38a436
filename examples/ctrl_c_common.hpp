// The style-free half of the Ctrl+C examples (cancel_on_ctrl_c.cpp, cancel_on_ctrl_c_fiber.cpp):
// where Ctrl+C comes from, how it reaches the code after run_until_complete, and how the
// seeds print the loop's tasks.
//
// In asyncio, Ctrl+C raises KeyboardInterrupt out of loop.run_until_complete(); the seeds
// catch it there. corolla does not throw out of a signal: a loop signal handler stops
// the loop, and run_until_interrupted() turns "stopped by SIGINT" into the same
// keyboard_interrupt that corolla::run() throws.
#pragma once

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/task.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

namespace ctrl_c {

/// --simulate-ctrl-c: the program sends itself SIGINT at each seed's moment, on a virtual
/// clock, so that its transcript is exact. Without it, press Ctrl+C yourself (real time).
inline bool simulate = false;

inline corolla::event_loop make_loop() {
    if (!simulate) return corolla::event_loop{};
    return corolla::event_loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
}

/// Where the seed's user pressed Ctrl+C, `after` seconds into the run.
inline void press_ctrl_c_after(corolla::event_loop& loop, double after) {
    if (simulate)
        loop.call_later(std::chrono::duration_cast<corolla::duration>(std::chrono::duration<double>(after)),
                        [] { std::raise(SIGINT); });
}

/// loop.run_until_complete(f) that throws keyboard_interrupt when Ctrl+C arrives first,
/// leaving the loop stopped and every task as it was (asyncio's behaviour).
template <class Future>
auto run_until_interrupted(corolla::event_loop& loop, const Future& f) {
    bool interrupted = false;
    loop.add_signal_handler(SIGINT, [&] {
        interrupted = true;
        loop.stop();
    });
    struct restore {
        corolla::event_loop& loop;
        ~restore() { loop.remove_signal_handler(SIGINT); }
    } restore_default{loop};
    try {
        return loop.run_until_complete(f);
    } catch (const corolla::invalid_state_error&) {  // stopped before f completed
        if (interrupted) throw corolla::keyboard_interrupt();
        throw;
    }
}

/// print(asyncio.all_tasks(loop)): each task in full, recorded without the parts that
/// vary with the style and the source (name and state only).
inline void print_all_tasks(corolla::event_loop& loop) {
    for (const corolla::task_ref& t : corolla::all_tasks(loop)) {
        std::printf("  %s\n", t.to_string().c_str());
        seed::lines.push_back(std::string("listed: ") + t.get_name() + " " + seed::state_name(t.task_state()));
    }
}

/// The seeds' `for task in all_tasks(): print(task.cancel())`.
inline void cancel_each(corolla::event_loop& loop) {
    for (const corolla::task_ref& t : corolla::all_tasks(loop))
        seed::say(t.cancel() ? "True" : "False");
}

/// The seed's walk over all_tasks(): each task and its state before and after cancel().
inline void cancel_each_showing_states(corolla::event_loop& loop) {
    for (const corolla::task_ref& t : corolla::all_tasks(loop)) {
        std::printf("cancel task: %s\n", t.to_string().c_str());
        seed::lines.push_back("cancel task: " + t.get_name() + " " + seed::state_name(t.task_state()));
        const bool cancelled = t.cancel();
        seed::say(std::string("cancelled: ") + (cancelled ? "True " : "False ") + seed::state_name(t.task_state()));
    }
}

/// The seeds' handler tail: `loop.stop(); loop.run_forever()` runs one iteration, in
/// which the cancelled tasks take their cancellation.
inline void stop_and_run_forever(corolla::event_loop& loop) {
    loop.stop();
    loop.run_forever();
}

/// The seeds' `finally: loop.close()` and `print('TIME: ', now() - start)`, measured on
/// the loop's clock.
inline void close_and_print_time(corolla::event_loop& loop, corolla::time_point start) {
    const double took = seed::since(loop, start);
    loop.close();
    seed::say("TIME: " + seed::seconds(took));
}

/// Seeds 1 and 2: `run_until_complete(asyncio.wait(tasks))`, and on Ctrl+C print
/// all_tasks(), cancel each, stop, run_forever, close, TIME. `start(loop)` starts the
/// tasks and returns the task that waits for them.
template <class Start>
void cancel_each_task(double ctrl_c_at, Start start) {
    auto loop = make_loop();
    const auto begin = loop.time();
    auto waiting = start(loop);
    press_ctrl_c_after(loop, ctrl_c_at);
    try {
        run_until_interrupted(loop, waiting);
    } catch (const corolla::keyboard_interrupt&) {
        print_all_tasks(loop);
        cancel_each(loop);
        stop_and_run_forever(loop);
    }
    close_and_print_time(loop, begin);
}

/// main()'s tasks, for the typed gather of seed 3 (they are made inside main()).
inline std::vector<corolla::future<std::string>> workers;

/// Seed 3: `run_until_complete(main_task)`, and on Ctrl+C
/// `print(asyncio.gather(*asyncio.all_tasks()).cancel())`. gather() is typed in C++, so
/// it takes the program's own handles: the tasks all_tasks() lists plus the finished
/// ones, which cancel() passes over.
template <class Start>
void cancel_through_gather(double ctrl_c_at, Start start) {
    auto loop = make_loop();
    const auto begin = loop.time();
    auto main_task = start(loop);
    press_ctrl_c_after(loop, ctrl_c_at);
    try {
        run_until_interrupted(loop, main_task);
    } catch (const corolla::keyboard_interrupt&) {
        print_all_tasks(loop);
        auto all = corolla::gather(main_task, workers.at(0), workers.at(1), workers.at(2));
        seed::say(all.cancel() ? "True" : "False");
        stop_and_run_forever(loop);
    }
    close_and_print_time(loop, begin);
}

/// Seeds 4 and 5: `run_until_complete(asyncio.gather(*coroutines))`; on Ctrl+C either
/// only loop.stop(), or the walk over all_tasks(); then close the loop. `start(loop)`
/// returns the gather.
template <class Start>
void interrupt_work(double ctrl_c_at, bool walk_tasks, Start start) {
    auto loop = make_loop();
    auto all = start(loop);
    press_ctrl_c_after(loop, ctrl_c_at);
    try {
        run_until_interrupted(loop, all);
    } catch (const corolla::keyboard_interrupt&) {
        if (walk_tasks) {
            cancel_each_showing_states(loop);
        } else {
            loop.stop();
            seed::say("after loop.stop():");
            print_all_tasks(loop);
        }
    }
    loop.close();
}

/// The six programs in the seeds' order, then the check of the transcript (only with
/// --simulate-ctrl-c: otherwise it depends on when Ctrl+C came). The style's parts:
/// start_three(a, b, c) makes seed 1 and 2's start, start_main(loop) starts main() as a
/// task, gather_work(loop) gathers seed 4 and 5's work, run_main() calls corolla::run.
template <class StartThree, class StartMain, class GatherWork, class RunMain>
int run_seed_programs(int argc, char** argv, StartThree start_three, StartMain start_main, GatherWork gather_work,
                      RunMain run_main) {
    simulate = argc > 1 && std::string(argv[1]) == "--simulate-ctrl-c";
    seed::say("-- 1. all_tasks(), cancel each: Ctrl+C right away");
    cancel_each_task(0.5, start_three(1, 2, 2));
    seed::say("-- 2. all_tasks(), cancel each: Ctrl+C at 1.4 s");
    cancel_each_task(1.4, start_three(1, 2, 4));
    seed::say("-- 3. gather(*all_tasks()).cancel()");
    cancel_through_gather(3.1, start_main);
    seed::say("-- 4. loop.stop() in the KeyboardInterrupt handler");
    interrupt_work(1.5, false, gather_work);
    seed::say("-- 5. each task's state before and after cancel()");
    interrupt_work(1.5, true, gather_work);
    seed::say("-- 6. run(main) and Ctrl+C");
    try {
        run_main();
    } catch (const corolla::keyboard_interrupt&) {
        seed::say("KeyboardInterrupt: the remaining tasks were cancelled");
    }
    if (!simulate) return 0;
    return seed::check(seed_transcripts::cancel_on_ctrl_c);
}

}  // namespace ctrl_c
