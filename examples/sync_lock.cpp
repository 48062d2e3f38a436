// The seeds' Lock lesson: the lock is taken first, a plain callback releases it 0.1 s
// later, and two tasks waiting for it get it in turn (FIFO).
//
// Python:   lock = asyncio.Lock(); await lock.acquire()
//           loop.call_later(0.1, functools.partial(unlock, lock))
//           await asyncio.wait([test('l1', lock), test('l2', lock)])
//           ... async with lock: print('{} acquired lock')
// (The seed writes `with await lock:`, removed in Python 3.10; `async with` is today's form.)
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/sync/lock.hpp>

#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;

using seed::say;

namespace {
corolla::coro<void> test(std::string locker, corolla::lock& lock) {
    say(locker + " waiting for the lock");
    {
        auto held = co_await lock.scoped();  // async with lock:
        say(locker + " acquired lock");
    }
    say(locker + " released lock");
}

corolla::coro<void> main_task(corolla::event_loop& loop) {
    corolla::lock lock;
    co_await lock.acquire();
    loop.call_later(100ms, [&lock] {
        say("callback releasing lock");
        lock.release();
    });
    std::vector<corolla::future<void>> tests{corolla::create_task(loop, test("l1", lock)),
                                             corolla::create_task(loop, test("l2", lock))};
    co_await corolla::wait(loop, tests);
}
}  // namespace

int main() {
    // A virtual clock keeps the example instant; drop it to see the 0.1 s pass.
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    loop.run_until_complete(corolla::create_task(loop, main_task(loop)));
    loop.close();
    return seed::check(seed_transcripts::sync_lock);
}
