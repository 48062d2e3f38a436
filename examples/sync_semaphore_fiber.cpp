// The seeds' Semaphore lesson in fiber style (see sync_semaphore.cpp): 12 simulated
// fetches on fibers, at most 3 at a time, through the same semaphore type.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/sync/semaphore.hpp>

using namespace std::chrono_literals;

namespace {
corolla::semaphore sema(3);
int running = 0;
int most_running = 0;

int fetch(int a) {
    most_running = std::max(most_running, ++running);
    corolla::this_fiber::sleep(1s);  // the request
    --running;
    return a;
}

void print_result(int a) {
    auto permit = corolla::await(sema.scoped());
    int r = fetch(a);
    std::printf("fetch(%d) = %d\n", a, r);
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    std::vector<corolla::future<void>> fetches;
    for (int num = 0; num < 12; ++num)
        fetches.push_back(corolla::spawn_fiber(loop, print_result, num));
    const auto t0 = loop.time();
    loop.run_until_complete(corolla::wait(loop, fetches));
    const double took = std::chrono::duration<double>(loop.time() - t0).count();
    loop.close();
    std::printf("at most %d at once, %.0f s in all\n", most_running, took);
    return most_running == 3 && took == 4.0 ? 0 : 1;
}
