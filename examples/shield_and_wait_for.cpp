// The seeds' shield and wait_for lessons:
//  - wait_for(eternity(), 1 s) raises timeout_error and cancels eternity (it never says
//    'yay!'); with a short enough sleep the result comes back instead;
//  - shield(something): cancelling the task that awaits it does not cancel something, which
//    finishes; the awaiting task still sees cancelled_error ("res = None" when caught);
//  - cancelling something itself does reach through the shield;
//  - wait_for(shield(task), t): the wait times out, the task goes on and finishes.
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
corolla::event_loop& running() { return *corolla::event_loop::running(); }

corolla::time_point start;

// Seconds on the loop's (virtual) clock since the example started.
std::string now() { return seed::seconds(seed::since(running(), start)); }

coro<void> eternity(std::chrono::milliseconds nap) {
    co_await corolla::sleep(nap);
    say("yay!");
}

coro<void> main_wait_for(std::chrono::milliseconds nap) {
    auto work = corolla::create_task(eternity(nap));
    try {
        co_await corolla::wait_for(work, 1s);  // at most 1 s
        say("done in time at " + now());
    } catch (const corolla::timeout_error&) {
        say("timeout! at " + now());
    }
    say(std::string("eternity was cancelled: ") + (work.cancelled() ? "yes" : "no"));
}

coro<int> something() {
    co_await corolla::sleep(2s);
    say("something finished at " + now());
    co_return 42;
}

coro<void> outer(corolla::task<int> inner) {
    std::optional<int> res;
    try {
        res = co_await corolla::shield(inner);
    } catch (const corolla::cancelled_error&) {
        res.reset();  // the seed's `except CancelledError: res = None`
        say("outer cancelled at " + now() + ", res = None");
        throw;  // a task that was asked to stop should end cancelled
    }
    say("outer got " + std::to_string(*res));
}

coro<void> main_shield() {
    auto inner = corolla::create_task(something());
    auto out = corolla::create_task(outer(inner));
    co_await corolla::sleep(1s);
    say(std::string("cancel outer: ") + (out.cancel() ? "True" : "False"));
    std::vector<corolla::future<void>> one{out};
    co_await corolla::wait(running(), one);
    int r = co_await inner;  // something was not cancelled: it finishes
    say("something returned " + std::to_string(r) + "; outer cancelled: " + (out.cancelled() ? "yes" : "no"));
}

coro<void> main_cancel_inner() {
    auto inner = corolla::create_task(something());
    auto out = corolla::create_task(outer(inner));
    co_await corolla::sleep(1s);
    say(std::string("cancel something: ") + (inner.cancel() ? "True" : "False"));
    std::vector<corolla::future<void>> one{out};
    co_await corolla::wait(running(), one);
    say(std::string("something cancelled: ") + (inner.cancelled() ? "yes" : "no") +
        "; outer cancelled: " + (out.cancelled() ? "yes" : "no"));
}

coro<void> main_wait_for_shield() {
    auto inner = corolla::create_task(something());
    bool timed_out = false;
    try {
        co_await corolla::wait_for(corolla::shield(inner), 1s);
    } catch (const corolla::timeout_error&) {
        timed_out = true;
    }
    if (timed_out) say("timeout! at " + now() + "; something goes on");
    int r = co_await inner;
    say("something returned " + std::to_string(r));
}

}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    auto run = [&loop](coro<void> c) { loop.run_until_complete(corolla::create_task(loop, std::move(c))); };
    start = loop.time();
    say("-- wait_for(eternity(), 1 s)");
    run(main_wait_for(3600s));
    say("-- wait_for(nap of 0.5 s, 1 s)");
    run(main_wait_for(500ms));
    say("-- shield: the awaiting task is cancelled");
    run(main_shield());
    say("-- shield: the shielded task is cancelled");
    run(main_cancel_inner());
    say("-- wait_for(shield(task), 1 s)");
    run(main_wait_for_shield());
    loop.close();

    return seed::check(seed_transcripts::shield_and_wait_for);
}
