// The child process of the idle-memory scenarios (idle_task_memory, idle_fiber_memory*): a
// loop on which `n` tasks or fibers are started and park, and the resident growth that costs,
// printed as the sample run_child reads back (perf/support/child_process.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdlib>

#include <corolla/core/event_loop.hpp>

#include "support/child_process.hpp"

namespace corolla::bench {

/// Runs in the child, on a loop made just before: `park()` is called `n` times (each starts
/// a task or fiber that sleeps for an hour, its handle dropped), then one loop iteration in
/// which all of them start and park; the sample is that set-up's wall and CPU time and the
/// resident growth since the call. `settled()` checks that the loop holds what it should
/// (printing why not; the child then fails). Ends the process with the loop alive.
template <class Park, class Settled>
[[noreturn]] void park_and_report(event_loop& loop, std::size_t n, Park park, Settled settled) {
    const std::size_t before = resident_bytes();
    const double cpu0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i)
        park();
    loop.run_once(/*nowait=*/true);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - cpu0;
    if (!settled()) std::exit(1);
    exit_with_sample({wall, cpu, static_cast<double>(resident_bytes()) - static_cast<double>(before)});
}

}  // namespace corolla::bench
