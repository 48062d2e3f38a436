// The seeds' run_forever / stop lesson in fiber style (see run_forever_stop.cpp): a
// fiber stops the loop itself, then a gather's done-callback (with the loop bound to it,
// as functools.partial does) stops it; a stopped loop can run again. The second program
// prints its own run time, as its seed does.
//
// Python:   task = asyncio.ensure_future(work(loop, 1)); loop.run_forever()
//           tasks = asyncio.gather(work(1), work(2))
//           tasks.add_done_callback(functools.partial(loop_stop, loop)); loop.run_forever()
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/fiber/fiber.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using seed::say;

namespace {
void work_then_stop(corolla::event_loop& loop, int t) {
    say("Start");
    corolla::this_fiber::sleep(std::chrono::seconds(t));
    say("after " + std::to_string(t) + "s stop");
    loop.stop();  // run_forever returns after this iteration; the loop can run again
}

void work(int t) {
    say("Start");
    corolla::this_fiber::sleep(std::chrono::seconds(t));
    say("after " + std::to_string(t) + "s stop");
}

void loop_stop(corolla::event_loop& loop, const corolla::future<std::tuple<std::monostate, std::monostate>>&) {
    loop.stop();
}

}  // namespace

int main() {
    // Virtual clock: instant and exact; drop it to see real seconds pass.
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};

    auto task = corolla::spawn_fiber(loop, work_then_stop, std::ref(loop), 1);
    loop.run_forever();

    // The second seed program, timed on its own as the seed times it; a stopped loop
    // runs again.
    const auto t0 = loop.time();
    auto w1 = corolla::spawn_fiber(loop, work, 1);
    auto w2 = corolla::spawn_fiber(loop, work, 2);
    auto both = corolla::gather(w1, w2);
    both.add_done_callback(std::bind_front(loop_stop, std::ref(loop)));
    loop.run_forever();
    const double took = seed::since(loop, t0);
    loop.close();
    say("elapsed: " + seed::seconds(took));  // 2 s: the two tasks overlapped

    return seed::check(seed_transcripts::run_forever_stop, task.done());
}
