// The seeds' Lock lesson in fiber style: the same program as sync_lock.cpp with plain
// functions on fibers. The lock is the same object type; only the waiting is spelled
// corolla::await(...) instead of co_await.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/sync/lock.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
void test(std::string locker, corolla::lock& lock) {
    say(locker + " waiting for the lock");
    {
        auto held = corolla::await(lock.scoped());
        say(locker + " acquired lock");
    }
    say(locker + " released lock");
}

void main_fiber(corolla::event_loop& loop) {
    corolla::lock lock;
    corolla::await(lock.acquire());
    loop.call_later(100ms, [&lock] {
        say("callback releasing lock");
        lock.release();
    });
    std::vector<corolla::future<void>> tests{corolla::spawn_fiber(loop, test, "l1", std::ref(lock)),
                                             corolla::spawn_fiber(loop, test, "l2", std::ref(lock))};
    corolla::await(corolla::wait(loop, tests));
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    loop.run_until_complete(corolla::spawn_fiber(loop, main_fiber, std::ref(loop)));
    loop.close();
    return seed::check(seed_transcripts::sync_lock);
}
