// The seeds' PriorityQueue lesson: a producer puts (priority, value) work items, one
// consumer takes the lowest first, fetching each under a semaphore, and marks it done;
// queue.join() waits for all of them, then the consumer is cancelled. The seed picks 7
// random numbers and fetches from httpbin.org; here the numbers are fixed (so the output
// can be checked) and the fetch goes to the program's own HTTP server on 127.0.0.1
// (examples/local_http.hpp), which answers after 1 s on a virtual clock.
//
// Python:   queue = asyncio.PriorityQueue()
//           consumer = asyncio.ensure_future(consume(queue))
//           await produce(queue); await queue.join(); consumer.cancel()
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/queue/queue.hpp>
#include <corolla/sync/semaphore.hpp>

#include "local_http.hpp"
#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;
namespace net = corolla::net;

using seed::say;

namespace {
const std::vector<int> numbers{42, 7, 93, 15, 61, 3, 28};
corolla::semaphore sema(3);
int port = 0;
corolla::coro<int> collect_result(int a) {
    auto permit = co_await sema.scoped();
    auto c = co_await net::open_connection("127.0.0.1", port);  // the fetch
    const std::string data = co_await local_http::get(c, "/get?a=" + std::to_string(a), true);
    c.writer.close();
    co_return std::stoi(local_http::arg_a(data));
}

corolla::coro<void> produce(corolla::priority_queue<std::pair<int, int>>& queue) {
    for (int num : numbers) {
        say("producing " + std::to_string(num));
        co_await queue.put({num, num});
    }
}

corolla::coro<void> consume(corolla::priority_queue<std::pair<int, int>>& queue) {
    for (;;) {
        auto item = co_await queue.get();
        int rs = co_await collect_result(item.first);
        say("consuming " + std::to_string(rs) + "...");
        queue.task_done();
    }
}

corolla::coro<void> run(corolla::event_loop& loop) {
    corolla::priority_queue<std::pair<int, int>> queue;
    auto consumer = corolla::create_task(loop, consume(queue));
    co_await produce(queue);
    co_await queue.join();
    consumer.cancel();
    co_await corolla::wait(loop, std::vector<corolla::future<void>>(1, consumer));
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    local_http::response_delay = 1s;
    net::server srv = net::start_server(loop, local_http::serve, "127.0.0.1", 0);
    port = srv.port();
    loop.run_until_complete(corolla::create_task(loop, run(loop)));
    srv.close();
    loop.run_until_complete(corolla::as_future(loop, srv.wait_closed()));
    loop.close();
    return seed::check(seed_transcripts::queue_priority);
}
