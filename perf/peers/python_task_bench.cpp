// Python asyncio peer for the task benchmarks: runs peers/asyncio_tasks.py with the python3
// found at configure time (COROLLA_BENCH_PYTHON, COROLLA_BENCH_ASYNCIO_SCRIPT). The script
// times each round itself, so interpreter start-up is not counted; every Google Benchmark
// iteration is one such round (manual time), and one child runs all iterations of a run.
#include <string>
#include <vector>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

void register_timed(const char* scenario, std::size_t n) {
    register_python_rounds(COROLLA_BENCH_PYTHON, COROLLA_BENCH_ASYNCIO_SCRIPT, scenario, n);
}

}  // namespace

void register_python_tasks(const bench_sizes& sizes) {
    register_timed("task_spawn", sizes.python_task_count);
    register_timed("future_pingpong", sizes.python_pingpong_rounds);
    register_timed("await_ready_future", sizes.python_ready_awaits);
}

void register_python_idle_memory(const bench_sizes& sizes) {
    register_idle_memory(
        "python_asyncio",
        {COROLLA_BENCH_PYTHON, COROLLA_BENCH_ASYNCIO_SCRIPT, "idle_memory", std::to_string(sizes.python_idle_tasks)},
        sizes.python_idle_tasks);
}

}  // namespace corolla::bench
