// The seeds' Semaphore lesson in fiber style (see sync_semaphore.cpp): 12 fetches from
// the program's own HTTP server, on fibers, at most 3 at a time, through the same
// semaphore type. The server's connections run as fibers too (a handler returning void).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/sync/semaphore.hpp>

#include "local_http.hpp"

using namespace std::chrono_literals;
namespace net = corolla::net;

namespace {
corolla::semaphore sema(3);
int running = 0;
int most_running = 0;
bool wrong = false;
int port = 0;

std::string fetch(int a) {
    most_running = std::max(most_running, ++running);
    auto c = corolla::await(net::open_connection("127.0.0.1", port));
    const std::string data = local_http::get_fiber(c, "/get?a=" + std::to_string(a), true);
    c.writer.close();
    --running;
    return local_http::arg_a(data);  // data['args']['a']
}

void print_result(int a) {
    auto permit = corolla::await(sema.scoped());
    std::string r = fetch(a);
    std::printf("fetch(%d) = %s\n", a, r.c_str());
    if (r != std::to_string(a)) wrong = true;
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    local_http::response_delay = 1s;
    net::server srv = net::start_server(loop, local_http::serve_fiber, "127.0.0.1", 0);
    port = srv.port();
    std::vector<corolla::future<void>> fetches;
    for (int num = 0; num < 12; ++num)
        fetches.push_back(corolla::spawn_fiber(loop, print_result, num));
    const auto t0 = loop.time();
    loop.run_until_complete(corolla::wait(loop, fetches));
    const double took = std::chrono::duration<double>(loop.time() - t0).count();
    srv.close();
    loop.run_until_complete(corolla::as_future(loop, srv.wait_closed()));
    loop.close();
    std::printf("at most %d at once, %.0f s in all\n", most_running, took);
    // 4 rounds of 1 s at least (more where a completion backend lets the virtual clock jump).
    return most_running == 3 && took >= 4.0 && !wrong ? 0 : 1;
}
