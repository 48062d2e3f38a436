// The seeds' "from threads to coroutines" lesson in fiber style (see
// crawlers_threads_vs_coroutines.cpp): 100 simulated crawlers run one after the other, on
// 100 threads, and as 100 fibers on one thread. A fiber's crawl_url is written like the
// thread's — a plain function that sleeps — but only its fiber waits, not the thread.
//
// Python:   def crawl_url(): time.sleep(0.2)
//           def main1(): for i in range(100): crawl_url()
//           def main2(): threads = [threading.Thread(target=crawl_url) ...]; start; join
//
//   example_crawlers_threads_vs_fibers [--delay-ms N]   (default 200, as the seed)
// The printed times vary from run to run; what is checked is their relation to the delay.
// The three programs are crawlers_common.hpp's; this file gives the task's crawl.
#include <corolla/fiber/fiber.hpp>

#include "crawlers_common.hpp"

namespace {
void crawl_url_fiber() { corolla::this_fiber::sleep(crawlers::delay); }  // suspends its fiber
}  // namespace

int main(int argc, char** argv) {
    return crawlers::run(argc, argv, "100 fibers, 1 thread:", [](corolla::event_loop& loop) {
        return corolla::spawn_fiber(loop, crawl_url_fiber);
    });
}
