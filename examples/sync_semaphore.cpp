// The seeds' Semaphore lesson: 12 fetches, at most 3 at a time. The seed fetches
// http://httpbin.org/get?a=X; here the program starts its own HTTP server on 127.0.0.1
// (examples/local_http.hpp), which answers after 1 s on a virtual clock, and each fetch
// opens a connection, GETs /get?a=X and reads "a" back from the JSON. The program checks
// what the seed only lets you feel: never more than 3 fetches run at once, so 12 take 4
// rounds.
//
// Python:   sema = asyncio.Semaphore(3)
//           async def fetch_async(a):
//               async with aiohttp.request('GET', URL.format(a)) as r: data = await r.json()
//               return data['args']['a']
//           async def print_result(a):
//               async with sema: r = await fetch_async(a); print('fetch({}) = {}'.format(a, r))
//           loop.run_until_complete(asyncio.wait([print_result(num) for num in NUMBERS]))
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
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

corolla::coro<std::string> fetch_async(int a) {
    most_running = std::max(most_running, ++running);
    auto c = co_await net::open_connection("127.0.0.1", port);
    const std::string data = co_await local_http::get(c, "/get?a=" + std::to_string(a), true);
    c.writer.close();
    --running;
    co_return local_http::arg_a(data);  // data['args']['a']
}

corolla::coro<void> print_result(int a) {
    auto permit = co_await sema.scoped();  // async with sema:
    std::string r = co_await fetch_async(a);
    std::printf("fetch(%d) = %s\n", a, r.c_str());
    if (r != std::to_string(a)) wrong = true;
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    local_http::response_delay = 1s;
    net::server srv = net::start_server(loop, local_http::serve, "127.0.0.1", 0);
    port = srv.port();
    std::vector<corolla::future<void>> fetches;
    for (int num = 0; num < 12; ++num)
        fetches.push_back(corolla::create_task(loop, print_result(num)));
    const auto t0 = loop.time();
    loop.run_until_complete(corolla::wait(loop, fetches));
    const double took = std::chrono::duration<double>(loop.time() - t0).count();
    srv.close();
    loop.run_until_complete(corolla::as_future(loop, srv.wait_closed()));
    loop.close();
    std::printf("at most %d at once, %.0f s in all\n", most_running, took);
    // 4 rounds of 1 s at least. (On a completion backend such as io_uring the virtual
    // clock may also jump while a connection's I/O is still in the kernel, so more.)
    return most_running == 3 && took >= 4.0 && !wrong ? 0 : 1;
}
