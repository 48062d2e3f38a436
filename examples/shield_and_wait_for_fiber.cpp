// The seeds' shield and wait_for lessons in fiber style (see shield_and_wait_for.cpp):
// the same combinators over fiber tasks, awaited with corolla::await; cancellation and
// timeouts come out of the await as cancelled_error and timeout_error, as from co_await.
//
// Python:   try: await asyncio.wait_for(eternity(), timeout=1.0)
//           except asyncio.TimeoutError: print('timeout!')
//           try: res = await shield(something())
//           except CancelledError: res = None
//
// A virtual clock makes the waits instant and exact.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
corolla::event_loop& running() { return *corolla::event_loop::running(); }

corolla::time_point start;

// Seconds on the loop's (virtual) clock since the example started.
std::string now() { return seed::seconds(seed::since(running(), start)); }

void eternity(std::chrono::milliseconds nap) {
    corolla::this_fiber::sleep(nap);
    say("yay!");
}

void main_wait_for(std::chrono::milliseconds nap) {
    auto work = corolla::spawn_fiber(eternity, nap);
    try {
        corolla::await(corolla::wait_for(work, 1s));  // at most 1 s
        say("done in time at " + now());
    } catch (const corolla::timeout_error&) {
        say("timeout! at " + now());
    }
    say(std::string("eternity was cancelled: ") + (work.cancelled() ? "yes" : "no"));
}

int something() {
    corolla::this_fiber::sleep(2s);
    say("something finished at " + now());
    return 42;
}

void outer(corolla::task<int> inner) {
    std::optional<int> res;
    try {
        res = corolla::await(corolla::shield(inner));
    } catch (const corolla::cancelled_error&) {
        res.reset();  // the seed's `except CancelledError: res = None`
        say("outer cancelled at " + now() + ", res = None");
        throw;  // a task that was asked to stop should end cancelled
    }
    say("outer got " + std::to_string(*res));
}

void main_shield() {
    auto inner = corolla::spawn_fiber(something);
    auto out = corolla::spawn_fiber(outer, inner);
    corolla::this_fiber::sleep(1s);
    say(std::string("cancel outer: ") + (out.cancel() ? "True" : "False"));
    std::vector<corolla::future<void>> one{out};
    corolla::await(corolla::wait(running(), one));
    int r = corolla::await(inner);  // something was not cancelled: it finishes
    say("something returned " + std::to_string(r) + "; outer cancelled: " + (out.cancelled() ? "yes" : "no"));
}

void main_cancel_inner() {
    auto inner = corolla::spawn_fiber(something);
    auto out = corolla::spawn_fiber(outer, inner);
    corolla::this_fiber::sleep(1s);
    say(std::string("cancel something: ") + (inner.cancel() ? "True" : "False"));
    std::vector<corolla::future<void>> one{out};
    corolla::await(corolla::wait(running(), one));
    say(std::string("something cancelled: ") + (inner.cancelled() ? "yes" : "no") +
        "; outer cancelled: " + (out.cancelled() ? "yes" : "no"));
}

void main_wait_for_shield() {
    auto inner = corolla::spawn_fiber(something);
    bool timed_out = false;
    try {
        corolla::await(corolla::wait_for(corolla::shield(inner), 1s));
    } catch (const corolla::timeout_error&) {
        timed_out = true;
    }
    if (timed_out) say("timeout! at " + now() + "; something goes on");
    int r = corolla::await(inner);
    say("something returned " + std::to_string(r));
}

}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    auto run = [&loop](auto&&... fn_and_args) { loop.run_until_complete(corolla::spawn_fiber(loop, fn_and_args...)); };
    start = loop.time();
    say("-- wait_for(eternity(), 1 s)");
    run(main_wait_for, 3600s);
    say("-- wait_for(nap of 0.5 s, 1 s)");
    run(main_wait_for, 500ms);
    say("-- shield: the awaiting task is cancelled");
    run(main_shield);
    say("-- shield: the shielded task is cancelled");
    run(main_cancel_inner);
    say("-- wait_for(shield(task), 1 s)");
    run(main_wait_for_shield);
    loop.close();

    return seed::check(seed_transcripts::shield_and_wait_for);
}
