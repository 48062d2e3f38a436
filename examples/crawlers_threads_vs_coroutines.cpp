// The seeds' "from threads to coroutines" lesson: 100 simulated crawlers, each spending
// its time waiting on the network (a 0.2 s sleep), run one after the other on one thread,
// on 100 threads, and as 100 coroutine tasks on one thread. The first takes 100 waits;
// the other two overlap the waits and take about one — without a thread per crawler in
// the coroutine case.
//
// Python:   def crawl_url(): time.sleep(0.2)
//           def main1(): for i in range(100): crawl_url()
//           def main2(): threads = [threading.Thread(target=crawl_url) ...]; start; join
//
//   example_crawlers_threads_vs_coroutines [--delay-ms N]   (default 200, as the seed)
// The printed times vary from run to run; what is checked is their relation to the delay.
// The three programs are crawlers_common.hpp's; this file gives the task's crawl.
#include <corolla/core/sleep.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

#include "crawlers_common.hpp"

namespace {
corolla::coro<void> crawl_url_async() { co_await corolla::sleep(crawlers::delay); }  // suspends its task
}  // namespace

int main(int argc, char** argv) {
    return crawlers::run(argc, argv, "100 coroutines, 1 thread:", [](corolla::event_loop& loop) {
        return corolla::create_task(loop, crawl_url_async());
    });
}
