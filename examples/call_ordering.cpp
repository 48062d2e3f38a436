// The seeds' loop.call_soon / call_later / call_at lesson with plain callbacks (the
// coroutine half of those seed programs arrives with tasks): callbacks with bound
// arguments, call_soon before any timer, timers by deadline, run_forever ended by stop().
//
// Python:   loop.call_later(1.2, hello, 'Tom'); loop.call_soon(hello, 'Kitty')
//           loop.call_later(1, hello, 'Jerry'); loop.call_at(loop.time() + 1.5, stop)
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/event_loop.hpp>

int main() {
    using namespace std::chrono_literals;
    corolla::event_loop loop;
    std::vector<std::string> said;
    const auto start = loop.time();
    auto hello = [&](std::string name) {
        const double at = std::chrono::duration<double>(loop.time() - start).count();
        std::printf("[hello] Hello, %s (at %.1fs)\n", name.c_str(), at);
        said.push_back(std::move(name));
    };
    loop.call_later(1200ms, [=] { hello("Tom"); });  // bound argument, like functools.partial
    loop.call_soon([=] { hello("Kitty"); });
    loop.call_later(std::chrono::duration<double>(1.0), [=] { hello("Jerry"); });
    loop.call_at(loop.time() + 1500ms, [&] {
        std::printf("[stop] after %.1fs\n", std::chrono::duration<double>(loop.time() - start).count());
        loop.stop();
    });
    std::printf("running on the %s backend\n", std::string(loop.backend_name()).c_str());
    loop.run_forever();
    loop.close();
    const bool ok = said == std::vector<std::string>{"Kitty", "Jerry", "Tom"};
    std::printf("%s\n", ok ? "order as expected: Kitty, Jerry, Tom" : "UNEXPECTED ORDER");
    return ok ? 0 : 1;
}
