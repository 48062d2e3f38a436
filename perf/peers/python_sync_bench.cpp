// Python asyncio peer of the sync and queue benchmarks: runs peers/asyncio_sync.py with the
// python3 found at configure time (COROLLA_BENCH_PYTHON, COROLLA_BENCH_PEERS_DIR), as
// peers/python_task_bench.cpp runs asyncio_tasks.py. The script times each round itself, so
// interpreter start-up is not counted; every Google Benchmark iteration is one such round
// (manual time), and one child runs all iterations of a run.
#include <string>
#include <vector>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

void register_timed(const char* scenario, std::size_t n) {
    register_python_rounds(COROLLA_BENCH_PYTHON, COROLLA_BENCH_PEERS_DIR "/asyncio_sync.py", scenario, n);
}

}  // namespace

void register_python_sync(const bench_sizes& sizes) {
    register_timed("lock_uncontended", sizes.python_lock_ops);
    register_timed("lock_handoff", sizes.python_lock_handoffs);
    register_timed("event_set_resume", sizes.python_event_hops);
    register_timed("queue_throughput_1", sizes.python_queue_items);
    register_timed("queue_throughput_1024", sizes.python_queue_items);
}

}  // namespace corolla::bench
