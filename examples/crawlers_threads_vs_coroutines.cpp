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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/sleep.hpp>
#include <corolla/core/wait.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

namespace {
constexpr int crawlers = 100;
std::chrono::milliseconds delay{200};

void crawl_url() { std::this_thread::sleep_for(delay); }  // blocks its thread

corolla::coro<void> crawl_url_async() { co_await corolla::sleep(delay); }  // suspends its task

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool report(const char* what, double took, bool sequential) {
    const double in_delays = took / std::chrono::duration<double>(delay).count();
    std::printf("%-26s %8.4f s  (%.1f delays)\n", what, took, in_delays);
    // One thread doing the waits in turn needs all of them; overlapped waits need about one
    // (generously bounded, for a loaded machine).
    return sequential ? in_delays >= crawlers : in_delays < crawlers / 4.0;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "--delay-ms") == 0) delay = std::chrono::milliseconds(std::atoi(argv[2]));
    bool ok = true;

    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < crawlers; ++i)
        crawl_url();
    ok &= report("single thread:", seconds_since(t0), true);

    t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < crawlers; ++i)
        threads.emplace_back(crawl_url);
    for (auto& t : threads)
        t.join();
    ok &= report("100 threads:", seconds_since(t0), false);

    corolla::event_loop loop;  // the real clock: the point is real waiting
    t0 = std::chrono::steady_clock::now();
    std::vector<corolla::future<void>> tasks;
    for (int i = 0; i < crawlers; ++i)
        tasks.push_back(corolla::create_task(loop, crawl_url_async()));
    loop.run_until_complete(corolla::wait(loop, tasks));
    ok &= report("100 coroutines, 1 thread:", seconds_since(t0), false);
    loop.close();

    std::printf("%s\n", ok ? "sequential waits add up; overlapped waits take about one" : "UNEXPECTED TIMINGS");
    return ok ? 0 : 1;
}
