// The seeds' call_soon lesson in fiber style: the same program as tasks_and_callbacks.cpp
// with plain functions on fibers instead of coroutines. Same task type, same output.
//
// Python:   asyncio.ensure_future(work(1, 'A')); loop.call_soon(hello, 'Tom')
//           loop.create_task(work(2, 'B')); loop.run_until_complete(work(3, 'C'))
// Output order (as in the seed): start A, Hello Tom, start B, start C, A, B, C stop.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/fiber/fiber.hpp>

namespace {
std::vector<std::string> lines;

void say(std::string line) {
    std::printf("%s\n", line.c_str());
    lines.push_back(std::move(line));
}

// An ordinary function: it suspends its fiber, not the thread.
std::string work(int seconds, std::string name) {
    say("[work] start " + name);
    corolla::this_fiber::sleep(std::chrono::seconds(seconds));
    say("[work] " + name + " after " + std::to_string(seconds) + "s stop");
    return name;
}
}  // namespace

int main() {
    // A virtual clock keeps the example instant; drop it to see real seconds pass.
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    auto a = corolla::spawn_fiber(loop, work, 1, "A");
    loop.call_soon([] { say("[hello] Hello, Tom"); });
    auto b = corolla::spawn_fiber(loop, work, 2, "B");
    auto c = corolla::spawn_fiber(loop, work, 3, "C");
    auto [ra, rb, rc] = loop.run_until_complete(corolla::gather(a, b, c));
    loop.close();
    const std::vector<std::string> expected{"[work] start A",        "[hello] Hello, Tom",     "[work] start B",
                                            "[work] start C",        "[work] A after 1s stop", "[work] B after 2s stop",
                                            "[work] C after 3s stop"};
    const bool ok = lines == expected && ra + rb + rc == "ABC";
    std::printf("%s\n", ok ? "order as in the seed" : "UNEXPECTED ORDER");
    return ok ? 0 : 1;
}
