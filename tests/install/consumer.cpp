// The consumer program: the backend named on the command line must be registered just
// by linking its component, and a loop on it must run a timer and a future (exit 77, a
// skip, where the host refuses it: io_uring in a sandbox).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const std::string want = argv[1];
    const auto names = corolla::registered_backends();
    if (names.size() != 1 || names.front() != want) {
        std::fprintf(stderr, "expected exactly backend %s to be registered\n", want.c_str());
        return 1;
    }
    const auto runnable = corolla::available_backends();
    if (std::find(runnable.begin(), runnable.end(), want) == runnable.end()) {
        std::printf("skipped: backend %s is linked but cannot run on this host\n", want.c_str());
        return 77;
    }
    corolla::event_loop loop{corolla::loop_options{.backend = want}};
    auto f = loop.create_future<int>();
    loop.call_later(std::chrono::milliseconds(1), [&] { f.set_result(42); });
    const int v = loop.run_until_complete(f);
    std::printf("consumer ran on %s: %d\n", std::string(loop.backend_name()).c_str(), v);
    return v == 42 ? 0 : 1;
}
