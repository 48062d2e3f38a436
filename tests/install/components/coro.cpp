// corolla::coro on its own (with a backend): a coroutine task that sleeps and returns.
#include <chrono>
#include <cstdio>
#include <string>

#include <corolla/core/sleep.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

namespace {
corolla::coro<int> answer() {
    co_await corolla::sleep(std::chrono::milliseconds(1));
    co_return 42;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    const int v = loop.run_until_complete(corolla::create_task(loop, answer()));
    std::printf("coro ran on %s: %d\n", std::string(loop.backend_name()).c_str(), v);
    return v == 42 ? 0 : 1;
}
