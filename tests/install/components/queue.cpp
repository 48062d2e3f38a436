// corolla::queue on its own (with a backend): a get() waited for from a plain callback
// through as_future, fed by put_nowait.
#include <chrono>
#include <cstdio>
#include <string>

#include <corolla/core/operation.hpp>
#include <corolla/queue/queue.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    corolla::queue<int> q;
    auto item = corolla::as_future(loop, q.get());
    loop.call_later(std::chrono::milliseconds(1), [&] { q.put_nowait(42); });
    const int v = loop.run_until_complete(item);
    std::printf("queue ran on %s: %d\n", std::string(loop.backend_name()).c_str(), v);
    return v == 42 ? 0 : 1;
}
