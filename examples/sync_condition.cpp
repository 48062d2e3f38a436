// The seeds' Condition lesson: consumers wait on a condition; one producer wakes them one
// at a time with notify(n), another wakes all of them with notify_all().
//
// Python:   condition = asyncio.Condition()
//           task = loop.create_task(producer(condition))
//           await asyncio.wait([consumer(condition, name, i) for i, name in ...]); task.cancel()
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/sync/condition.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
corolla::coro<void> consumer(corolla::condition& cond, std::string name, int second) {
    co_await corolla::sleep(std::chrono::seconds(second));
    auto held = co_await cond.scoped();  // async with cond:
    co_await cond.wait();
    say(name + ": Resource is available to consumer");
}

corolla::coro<void> producer(corolla::condition& cond) {
    co_await corolla::sleep(2s);
    for (int n = 1; n < 3; ++n) {
        {
            auto held = co_await cond.scoped();
            say("notifying consumer " + std::to_string(n));
            cond.notify(n);
        }
        co_await corolla::sleep(100ms);
    }
}

corolla::coro<void> producer2(corolla::condition& cond) {
    co_await corolla::sleep(2s);
    auto held = co_await cond.scoped();
    say("Making resource available");
    cond.notify_all();
}

corolla::coro<void> main_task(corolla::event_loop& loop) {
    corolla::condition condition;
    auto task = corolla::create_task(loop, producer(condition));
    std::vector<corolla::future<void>> consumers{corolla::create_task(loop, consumer(condition, "c1", 0)),
                                                 corolla::create_task(loop, consumer(condition, "c2", 1))};
    co_await corolla::wait(loop, consumers);
    task.cancel();

    task = corolla::create_task(loop, producer2(condition));
    consumers = {corolla::create_task(loop, consumer(condition, "c1", 0)),
                 corolla::create_task(loop, consumer(condition, "c2", 1))};
    co_await corolla::wait(loop, consumers);
    task.cancel();
    co_await corolla::wait(loop, std::vector<corolla::future<void>>(1, task));  // let it finish cancelling
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    loop.run_until_complete(corolla::create_task(loop, main_task(loop)));
    loop.close();
    return seed::check(seed_transcripts::sync_condition);
}
