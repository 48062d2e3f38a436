// The seeds' comparison, measured: N "crawlers" that each wait 0.2 s and finish, as
// corolla coroutine tasks, as corolla fibers, as one std::thread each and as Python
// asyncio tasks (peers/python_crawlers_bench.cpp), for N = 100 and N = 100000. Every run
// is a fresh child process that reports the wall time from the first spawn until the last
// crawler finished, its CPU time (all threads) and its resident growth while all N wait.
//
//   crawlers_<N>          time beyond the 0.2 s wait, per crawler (manual time), and the
//                         process's CPU time per crawler (child_cpu_seconds)
//   crawlers_<N>_memory   resident bytes per waiting crawler (first round only)
//
// Threads are registered only where the kernel's limits (pid_max, threads-max,
// max_map_count, RLIMIT_NPROC) leave room for N of them; otherwise the binary says so in
// its JSON context ("corolla_notes") instead of failing half-way.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#if defined(COROLLA_BENCH_HAVE_FIBERS)
#include <corolla/fiber/fiber.hpp>
#endif

#include "support/bench_support.hpp"

#ifndef COROLLA_BENCH_BUILD_TYPE
#define COROLLA_BENCH_BUILD_TYPE "unknown"
#endif

namespace corolla::bench {
namespace {

constexpr auto crawl_wait = std::chrono::milliseconds(200);
constexpr double crawl_wait_s = 0.2;
constexpr const char* child_flag = "--crawler-child";

loop_options options_for(const std::string& backend) {
    loop_options options;
    options.backend = backend;
    return options;
}

double process_cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// --- the child: one run of N crawlers -----------------------------------------------------

coro<void> coro_crawler(std::size_t& finished) {
    co_await sleep(crawl_wait);
    ++finished;
}

/// Coroutine tasks or fibers on one loop: spawned, one iteration in which each starts its
/// wait (the resident figure is taken then), then iterations until all have finished.
[[noreturn]] void loop_crawlers(const std::string& backend, std::size_t n, bool fibers) {
    event_loop loop{options_for(backend)};
    std::size_t finished = 0;
    const std::size_t before = resident_bytes();
    const double cpu0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
#if defined(COROLLA_BENCH_HAVE_FIBERS)
        if (fibers) {
            spawn_fiber(loop, [&finished] {
                this_fiber::sleep(crawl_wait);
                ++finished;
            });
            continue;
        }
#endif
        create_task(loop, coro_crawler(finished));
    }
    loop.run_once(/*nowait=*/true);
    const std::size_t waiting = resident_bytes();
    while (finished < n)
        loop.run_once();
    const double wall = seconds_since(t0);
    const double cpu = process_cpu_seconds() - cpu0;
    if (loop.stats().tasks != 0) {
        std::fprintf(stderr, "crawlers: %zu tasks left after all finished\n", loop.stats().tasks);
        std::exit(1);
    }
    exit_with_sample({wall, cpu, static_cast<double>(waiting) - static_cast<double>(before)});
}

/// One std::thread per crawler (default attributes), each sleeping 0.2 s; the resident
/// figure is taken when all are started, the time when all are joined.
[[noreturn]] void thread_crawlers(std::size_t n) {
    std::atomic<std::size_t> finished{0};
    std::vector<std::thread> threads;
    threads.reserve(n);
    const std::size_t before = resident_bytes();
    const double cpu0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    try {
        for (std::size_t i = 0; i < n; ++i)
            threads.emplace_back([&finished] {
                std::this_thread::sleep_for(crawl_wait);
                finished.fetch_add(1, std::memory_order_relaxed);
            });
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "crawlers: thread %zu of %zu could not be created: %s\n", threads.size() + 1, n, e.what());
        for (auto& t : threads)
            t.join();
        std::exit(1);
    }
    const std::size_t waiting = resident_bytes();
    for (auto& t : threads)
        t.join();
    const double wall = seconds_since(t0);
    const double cpu = process_cpu_seconds() - cpu0;
    if (finished.load() != n) std::exit(1);
    exit_with_sample({wall, cpu, static_cast<double>(waiting) - static_cast<double>(before)});
}

int child_main(const std::string& variant, std::size_t n) {
    if (variant == "threads") thread_crawlers(n);
    if (variant.rfind("corolla:", 0) == 0) loop_crawlers(variant.substr(8), n, false);
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    if (variant.rfind("fiber:", 0) == 0) loop_crawlers(variant.substr(6), n, true);
#endif
    std::fprintf(stderr, "corolla_bench_crawlers: no variant %s\n", variant.c_str());
    return 2;
}

// --- the parent: registration --------------------------------------------------------------

long read_long(const char* path) {
    std::ifstream f(path);
    long v = -1;
    if (!(f >> v)) return -1;
    return v;
}

/// Why `n` more threads would not fit within this machine's limits, or "" if they would
/// (with a margin for the threads already running elsewhere).
std::string thread_limit_reason(std::size_t n) {
    struct limit {
        const char* what;
        long threads;
    };
    std::vector<limit> limits;
    limits.push_back({"kernel.pid_max", read_long("/proc/sys/kernel/pid_max")});
    limits.push_back({"kernel.threads-max", read_long("/proc/sys/kernel/threads-max")});
    const long maps = read_long("/proc/sys/vm/max_map_count");
    limits.push_back({"vm.max_map_count (two mappings per thread stack)", maps < 0 ? -1 : maps / 2});
    rlimit rl{};
    if (::getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limits.push_back({"RLIMIT_NPROC", static_cast<long>(rl.rlim_cur)});
    const long wanted = static_cast<long>(n) + 2000;
    for (const auto& l : limits)
        if (l.threads >= 0 && l.threads < wanted)
            return "crawlers_" + std::to_string(n) + "/threads not run: " + l.what + " allows about " +
                   std::to_string(l.threads) + " threads, fewer than " + std::to_string(n) + " plus a margin";
    return {};
}

/// One child run per variant and process: crawlers_<N> and crawlers_<N>_memory of a variant
/// read the same run (the memory scenario runs in the first round only; whichever of the two
/// comes first in the shuffled order starts the child). Empty `error` on success.
struct crawl_result {
    child_sample sample;
    std::string error;
};

const crawl_result& crawl_once(const std::vector<std::string>& argv) {
    static std::map<std::vector<std::string>, crawl_result> runs;
    auto it = runs.find(argv);
    if (it != runs.end()) return it->second;
    const child_run run = run_child(argv);
    crawl_result r;
    if (!run.error.empty() || run.samples.size() != 1)
        r.error = run.error.empty() ? "the child printed no single sample" : run.error;
    else
        r.sample = run.samples[0];
    return runs.emplace(argv, r).first->second;
}

void crawler_time(benchmark::State& state, const std::vector<std::string>& argv, std::size_t n) {
    const crawl_result& run = crawl_once(argv);
    if (!run.error.empty()) {
        state.SkipWithError(run.error.c_str());
        return;
    }
    const child_sample& s = run.sample;
    for (auto _ : state)
        state.SetIterationTime(std::max(s.wall_seconds - crawl_wait_s, 0.0));
    state.counters["child_cpu_seconds"] = benchmark::Counter(s.cpu_seconds, benchmark::Counter::kAvgIterations);
    state.counters["wall_s"] = s.wall_seconds;
    set_batch(state, n);
}

void crawler_memory(benchmark::State& state, const std::vector<std::string>& argv, std::size_t n) {
    const crawl_result& run = crawl_once(argv);
    if (!run.error.empty()) {
        state.SkipWithError(run.error.c_str());
        return;
    }
    report_child_samples(state, {run.sample});
    state.counters["bytes_per_crawler"] = run.sample.resident_bytes / static_cast<double>(n);
    state.counters["crawlers"] = static_cast<double>(n);
    set_batch(state, n);
}

void register_variant(const std::string& variant, std::vector<std::string> argv, std::size_t n) {
    const std::string scenario = "crawlers_" + std::to_string(n);
    benchmark::RegisterBenchmark(bench_name(scenario, variant).c_str(), crawler_time, argv, n)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(bench_name(scenario + "_memory", variant).c_str(), crawler_memory, std::move(argv), n)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

void register_all(const std::vector<std::string>& backends, std::size_t n, std::vector<std::string>& notes) {
    const std::string self = self_executable();
    const std::string count = std::to_string(n);
    for (const auto& b : backends)
        register_variant("corolla:" + b, {self, child_flag, "corolla:" + b, count}, n);
#if defined(COROLLA_BENCH_HAVE_FIBERS)
    for (const auto& b : backends)
        register_variant("fiber:" + b, {self, child_flag, "fiber:" + b, count}, n);
#endif
    const std::string why = thread_limit_reason(n);
    if (why.empty())
        register_variant("threads", {self, child_flag, "threads", count}, n);
    else
        notes.push_back(why);
#if defined(COROLLA_BENCH_PYTHON)
    register_variant("python_asyncio", python_crawlers_argv(n), n);
#endif
}

}  // namespace
}  // namespace corolla::bench

int main(int argc, char** argv) {
    using namespace corolla::bench;
    if (argc == 4 && std::strcmp(argv[1], child_flag) == 0)
        return child_main(argv[2], std::strtoull(argv[3], nullptr, 10));

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    const bench_sizes sizes = sizes_from_env();
    const std::vector<std::string> usable = corolla::available_backends();
    if (usable.empty()) {
        std::fprintf(stderr, "corolla_bench_crawlers: no usable backend\n");
        return 1;
    }
    std::vector<std::string> notes;
    register_all(usable, sizes.crawlers_small, notes);
    register_all(usable, sizes.crawlers_large, notes);
    for (const auto& n : notes)
        std::fprintf(stderr, "corolla_bench_crawlers: %s\n", n.c_str());

    std::vector<std::string> peers{"threads"};
#if defined(COROLLA_BENCH_PYTHON)
    peers.push_back("python_asyncio");
#endif
    std::string joined_notes;
    for (const auto& n : notes)
        joined_notes += (joined_notes.empty() ? "" : "; ") + n;
    benchmark::AddCustomContext("corolla_backends", join(usable));
    benchmark::AddCustomContext("corolla_build_type", COROLLA_BENCH_BUILD_TYPE);
    benchmark::AddCustomContext("corolla_smoke", sizes.smoke ? "1" : "0");
    benchmark::AddCustomContext("corolla_peers", join(peers));
    benchmark::AddCustomContext("corolla_notes", joined_notes);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
