// The seeds' Semaphore lesson: 12 fetches, at most 3 at a time. The seed fetches
// http://httpbin.org; here each fetch is simulated by a 1 s wait on a virtual clock (no
// network needed), and the program checks what the seed only lets you feel: never more
// than 3 fetches run at once, so 12 take 4 rounds.
//
// Python:   sema = asyncio.Semaphore(3)
//           async def print_result(a):
//               async with sema: r = await fetch_async(a); print('fetch({}) = {}'.format(a, r))
//           loop.run_until_complete(asyncio.wait([print_result(num) for num in NUMBERS]))
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/sync/semaphore.hpp>

using namespace std::chrono_literals;

namespace {
corolla::semaphore sema(3);
int running = 0;
int most_running = 0;

corolla::coro<int> fetch_async(int a) {
    most_running = std::max(most_running, ++running);
    co_await corolla::sleep(1s);  // the request
    --running;
    co_return a;
}

corolla::coro<void> print_result(int a) {
    auto permit = co_await sema.scoped();  // async with sema:
    int r = co_await fetch_async(a);
    std::printf("fetch(%d) = %d\n", a, r);
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    std::vector<corolla::future<void>> fetches;
    for (int num = 0; num < 12; ++num)
        fetches.push_back(corolla::create_task(loop, print_result(num)));
    const auto t0 = loop.time();
    loop.run_until_complete(corolla::wait(loop, fetches));
    const double took = std::chrono::duration<double>(loop.time() - t0).count();
    loop.close();
    std::printf("at most %d at once, %.0f s in all\n", most_running, took);
    return most_running == 3 && took == 4.0 ? 0 : 1;
}
