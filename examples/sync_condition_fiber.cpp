// The seeds' Condition lesson in fiber style (see sync_condition.cpp): same condition,
// same output; notify(n) and notify_all() wake fibers exactly as they wake coroutines.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/sync/condition.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
void consumer(corolla::condition& cond, std::string name, int second) {
    corolla::this_fiber::sleep(std::chrono::seconds(second));
    auto held = corolla::await(cond.scoped());
    corolla::await(cond.wait());
    say(name + ": Resource is available to consumer");
}

void producer(corolla::condition& cond) {
    corolla::this_fiber::sleep(2s);
    for (int n = 1; n < 3; ++n) {
        {
            auto held = corolla::await(cond.scoped());
            say("notifying consumer " + std::to_string(n));
            cond.notify(n);
        }
        corolla::this_fiber::sleep(100ms);
    }
}

void producer2(corolla::condition& cond) {
    corolla::this_fiber::sleep(2s);
    auto held = corolla::await(cond.scoped());
    say("Making resource available");
    cond.notify_all();
}

std::vector<corolla::future<void>> consumers(corolla::event_loop& loop, corolla::condition& cond) {
    return {corolla::spawn_fiber(loop, consumer, std::ref(cond), "c1", 0),
            corolla::spawn_fiber(loop, consumer, std::ref(cond), "c2", 1)};
}

void main_fiber(corolla::event_loop& loop) {
    corolla::condition condition;
    auto task = corolla::spawn_fiber(loop, producer, std::ref(condition));
    corolla::await(corolla::wait(loop, consumers(loop, condition)));
    task.cancel();

    task = corolla::spawn_fiber(loop, producer2, std::ref(condition));
    corolla::await(corolla::wait(loop, consumers(loop, condition)));
    task.cancel();
    corolla::await(corolla::wait(loop, std::vector<corolla::future<void>>(1, task)));
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    loop.run_until_complete(corolla::spawn_fiber(loop, main_fiber, std::ref(loop)));
    loop.close();
    return seed::check(seed_transcripts::sync_condition);
}
