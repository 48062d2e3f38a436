// The style-free half of the crawler examples (crawlers_threads_vs_coroutines.cpp,
// crawlers_threads_vs_fibers.cpp): the seed's two programs — 100 crawls one after the
// other, and 100 threads — and the third, 100 tasks on one thread, each timed on its own
// with the real clock, as the seed times them. The style files give the task's crawl.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/wait.hpp>

namespace crawlers {

inline constexpr int count = 100;
inline std::chrono::milliseconds delay{200};  // the seed's time.sleep(0.2)

inline void crawl_url() { std::this_thread::sleep_for(delay); }  // blocks its thread

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Prints a program's time; true when it fits: one thread doing the waits in turn needs
/// all of them, overlapped waits about one (generously bounded, for a loaded machine).
inline bool report(const char* what, double took, bool sequential) {
    const double in_delays = took / std::chrono::duration<double>(delay).count();
    std::printf("%-26s %8.4f s  (%.1f delays)\n", what, took, in_delays);
    return sequential ? in_delays >= count : in_delays < count / 4.0;
}

/// The three programs; `start(loop)` starts one crawl as a task of the style, `label`
/// names the third program. `--delay-ms N` replaces the seed's 200 ms.
template <class Start>
int run(int argc, char** argv, const char* label, Start start) {
    if (argc == 3 && std::string(argv[1]) == "--delay-ms") delay = std::chrono::milliseconds(std::atoi(argv[2]));
    bool ok = true;

    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i)
        crawl_url();
    ok &= report("single thread:", seconds_since(t0), true);

    t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i)
        threads.emplace_back(crawl_url);
    for (auto& t : threads)
        t.join();
    ok &= report("100 threads:", seconds_since(t0), false);

    corolla::event_loop loop;  // the real clock: the point is real waiting
    t0 = std::chrono::steady_clock::now();
    std::vector<corolla::future<void>> tasks;
    for (int i = 0; i < count; ++i)
        tasks.push_back(start(loop));
    loop.run_until_complete(corolla::wait(loop, tasks));
    ok &= report(label, seconds_since(t0), false);
    loop.close();

    std::printf("%s\n", ok ? "sequential waits add up; overlapped waits take about one" : "UNEXPECTED TIMINGS");
    return ok ? 0 : 1;
}

}  // namespace crawlers
