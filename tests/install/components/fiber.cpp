// corolla::fiber on its own (with a backend): a fiber that sleeps and returns; the package
// must load what fiber links (core, Boost.Context) without being asked.
#include <chrono>
#include <cstdio>
#include <string>

#include <corolla/core/sleep.hpp>
#include <corolla/fiber/fiber.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    const int v = loop.run_until_complete(corolla::spawn_fiber(loop, [] {
        corolla::await(corolla::sleep(std::chrono::milliseconds(1)));
        return 42;
    }));
    std::printf("fiber ran on %s: %d\n", std::string(loop.backend_name()).c_str(), v);
    return v == 42 ? 0 : 1;
}
