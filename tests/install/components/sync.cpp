// corolla::sync on its own (with a backend): a lock and an event waited for from plain
// callbacks through as_future, no task style linked.
#include <chrono>
#include <cstdio>
#include <string>

#include <corolla/core/operation.hpp>
#include <corolla/sync/event.hpp>
#include <corolla/sync/lock.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    corolla::lock mu;
    corolla::event ready;
    loop.run_until_complete(corolla::as_future(loop, mu.acquire()));
    auto second = corolla::as_future(loop, mu.acquire());
    loop.call_later(std::chrono::milliseconds(1), [&] {
        mu.release();
        ready.set();
    });
    loop.run_until_complete(corolla::as_future(loop, ready.wait()));
    loop.run_until_complete(second);
    std::printf("sync ran on %s: locked=%d\n", std::string(loop.backend_name()).c_str(), mu.locked());
    return mu.locked() ? 0 : 1;
}
