// The stackful adapter on its own: this program links corolla::fiber, net and the backends
// but not the coroutine adapter, whose headers are not even on its include path. It runs
// what a fiber-only program uses — spawn_fiber, await, run, timeout, with_task_group, a
// stackful generator and a stream server with a plain handler — and exits non-zero on any
// difference. Built only where Boost.Context is.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/generator.hpp>
#include <corolla/fiber/run.hpp>
#include <corolla/fiber/timeout.hpp>
#include <corolla/fiber/with_task_group.hpp>
#include <corolla/net/server.hpp>
#include <corolla/net/streams.hpp>

using namespace std::chrono_literals;
namespace net = corolla::net;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

int fiber_main() {
    // Tasks, await and gather.
    auto a = corolla::spawn_fiber([] {
        corolla::await(corolla::sleep(1ms));
        return 20;
    });
    auto b = corolla::spawn_fiber([] { return 22; });
    auto [x, y] = corolla::await(corolla::gather(a, b));
    check(x + y == 42, "gather of two fibers");

    // timeout: expiry cancels the body at its await.
    bool timed_out = false;
    try {
        corolla::timeout(1ms, [] { corolla::await(corolla::sleep(1h)); });
    } catch (const corolla::timeout_error&) {
        timed_out = true;
    }
    check(timed_out, "timeout around a fiber body");

    // with_task_group: every child finished when the scope ends.
    int done = 0;
    corolla::with_task_group([&](corolla::task_group& tg) {
        for (int i = 0; i < 3; ++i)
            tg.create_task(corolla::as_fiber([&done] {
                corolla::this_fiber::yield();
                ++done;
            }));
    });
    check(done == 3, "with_task_group of fibers");

    // A stackful generator.
    corolla::fiber_generator<int> counter([](corolla::yielder<int>& yield) {
        for (int i = 1; i <= 3; ++i)
            yield(i);
    });
    int sum = 0;
    for (int v : counter)
        sum += v;
    check(sum == 6, "fiber_generator");
    check(counter.state() == corolla::generator_state::closed, "generator state after the end");

    // A stream server whose handler is plain code: it runs on a fiber per connection.
    net::server srv = net::start_server(
        *corolla::event_loop::running(),
        [](net::stream_reader r, net::stream_writer w) {
            std::string line = corolla::await(r.readline());
            w.write("echo: " + line);
            corolla::await(w.drain());
            w.close();
        },
        "127.0.0.1", 0);
    net::stream_pair c = corolla::await(net::open_connection("127.0.0.1", srv.port()));
    c.writer.write("hi\n");
    std::string answer = corolla::await(c.reader.readline());
    check(answer == "echo: hi\n", "server with a plain handler");
    c.writer.close();
    corolla::await(c.writer.wait_closed());
    srv.close();
    corolla::await(srv.wait_closed());
    return failures;
}

}  // namespace

int main() {
    const int rc = corolla::run(fiber_main);
    std::printf("%s\n", rc == 0 ? "fiber adapter alone: ok" : "fiber adapter alone: FAILED");
    return rc == 0 ? 0 : 1;
}
