// The umbrella corolla::corolla: every backend built is registered, and a coroutine task
// passes an item through a queue and waits for an event on the backend named.
#include <chrono>
#include <cstdio>
#include <string>

#include <corolla/core/backend_registry.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/queue/queue.hpp>
#include <corolla/sync/event.hpp>

namespace {
corolla::coro<int> relay(corolla::queue<int>& q, corolla::event& done) {
    const int v = co_await q.get();
    co_await done.wait();
    co_return v;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const auto names = corolla::registered_backends();
    if (names.size() != static_cast<std::size_t>(argc - 1)) {
        std::fprintf(stderr, "expected %d backends registered, found %zu\n", argc - 1, names.size());
        return 1;
    }
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    corolla::queue<int> q;
    corolla::event done;
    auto task = corolla::create_task(loop, relay(q, done));
    loop.call_later(std::chrono::milliseconds(1), [&] {
        q.put_nowait(42);
        done.set();
    });
    const int v = loop.run_until_complete(task);
    std::printf("corolla ran on %s: %d\n", std::string(loop.backend_name()).c_str(), v);
    return v == 42 ? 0 : 1;
}
