// The seeds' PriorityQueue lesson in fiber style (see queue_priority.cpp): the same
// queue and semaphore types, a producer and a consumer on fibers, fetching from the
// program's own HTTP server (whose connections are fibers too).
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/queue/queue.hpp>
#include <corolla/sync/semaphore.hpp>

#include "local_http.hpp"
#include "seed_common.hpp"
#include "seed_transcripts.hpp"

using namespace std::chrono_literals;
namespace net = corolla::net;

using seed::say;

namespace {
using work_queue = corolla::priority_queue<std::pair<int, int>>;
const std::vector<int> numbers{42, 7, 93, 15, 61, 3, 28};
corolla::semaphore sema(3);
int port = 0;
int collect_result(int a) {
    auto permit = corolla::await(sema.scoped());
    auto c = corolla::await(net::open_connection("127.0.0.1", port));  // the fetch
    const std::string data = local_http::get_fiber(c, "/get?a=" + std::to_string(a), true);
    c.writer.close();
    return std::stoi(local_http::arg_a(data));
}

void produce(work_queue& queue) {
    for (int num : numbers) {
        say("producing " + std::to_string(num));
        corolla::await(queue.put({num, num}));
    }
}

void consume(work_queue& queue) {
    for (;;) {
        auto item = corolla::await(queue.get());
        int rs = collect_result(item.first);
        say("consuming " + std::to_string(rs) + "...");
        queue.task_done();
    }
}

void run(corolla::event_loop& loop) {
    work_queue queue;
    auto consumer = corolla::spawn_fiber(loop, consume, std::ref(queue));
    produce(queue);
    corolla::await(queue.join());
    consumer.cancel();
    corolla::await(corolla::wait(loop, std::vector<corolla::future<void>>(1, consumer)));
}
}  // namespace

int main() {
    corolla::event_loop loop{corolla::loop_options{.clock = std::make_shared<corolla::virtual_clock>()}};
    local_http::response_delay = 1s;
    net::server srv = net::start_server(loop, local_http::serve_fiber, "127.0.0.1", 0);
    port = srv.port();
    loop.run_until_complete(corolla::spawn_fiber(loop, run, std::ref(loop)));
    srv.close();
    loop.run_until_complete(corolla::as_future(loop, srv.wait_closed()));
    loop.close();
    return seed::check(seed_transcripts::queue_priority);
}
