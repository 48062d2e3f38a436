// Measurements taken in a child process, for the benchmarks that cannot be timed in-process:
// the Python asyncio peer (a script that times only its scenario, not interpreter start-up)
// and idle-task and idle-fiber memory (a fresh process per figure: one that ran other
// benchmarks reuses freed memory and would under-report resident growth). A child prints
// one line per measurement, "<wall seconds> <cpu seconds> [<resident bytes added>]".
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <vector>

namespace corolla::bench {

/// One measurement reported by a child process.
struct child_sample {
    double wall_seconds = 0;
    double cpu_seconds = 0;
    double resident_bytes = 0;  ///< resident set growth; 0 where not measured
};

/// The parsed output of a child, or why there is none (`error` non-empty).
struct child_run {
    std::vector<child_sample> samples;
    std::string error;
};

/// Runs argv (argv[0] is a path; PATH is not searched) with the same environment and
/// standard error, and parses its standard output as child_sample lines. A failed start,
/// a non-zero exit or a line that does not parse is an error.
child_run run_child(const std::vector<std::string>& argv);

/// The resident set size of this process in bytes (field 2 of /proc/self/statm times the
/// page size): what the kernel actually backs with memory, allocator overheads and
/// slack included. 0 where /proc is not available.
std::size_t resident_bytes();

/// CPU time of the calling thread, in seconds.
double thread_cpu_seconds();

/// Writes `s` to standard output as the line run_child parses and ends the process at
/// once (std::_Exit), so a child skips tearing down what it measured.
[[noreturn]] void exit_with_sample(const child_sample& s);

/// The running executable (/proc/self/exe), so a benchmark can re-run itself as a child.
std::string self_executable();

/// Feeds child-measured iterations to `state`, which must use manual time and have
/// exactly samples.size() iterations left: the manual time of iteration i is sample i's
/// wall time, and the child's CPU time goes to the per-iteration counter
/// "child_cpu_seconds" (Google Benchmark's own CPU time here is the idle parent's).
void report_child_samples(benchmark::State& state, const std::vector<child_sample>& samples);

/// Registers <scenario>/python_asyncio: `python script scenario n iterations` runs all the
/// iterations of a run in one child, timing each round of `n` items itself (interpreter
/// start-up is not counted) and printing one sample per round (manual time).
void register_python_rounds(const std::string& python, const std::string& script, const std::string& scenario,
                            std::size_t n);

/// Registers <scenario>/<variant> as a resident-memory count: one iteration that runs `argv`
/// once; the child parks `count` idle `item`s (tasks, fibers) and prints one sample.
/// Counters: "bytes_per_<item>" (resident growth / count) and "<item>s"; the manual time
/// is the child's set-up time.
void register_child_memory(const std::string& scenario, const std::string& variant, std::vector<std::string> argv,
                           std::size_t count, const std::string& item);

/// Registers idle_task_memory/<variant>: register_child_memory with item "task".
void register_idle_memory(const std::string& variant, std::vector<std::string> argv, std::size_t tasks);

/// The argv that re-runs this binary as the idle-memory child of `variant`; its main
/// must hand `--idle-memory-child <variant> <tasks> [<extra>...]` to the variant's
/// measurement (`extra`: what else the variant needs, such as a stack size).
std::vector<std::string> idle_memory_child_argv(const std::string& variant, std::size_t tasks,
                                                const std::vector<std::string>& extra = {});

/// The first argument that selects the idle-memory child mode.
inline constexpr const char* idle_memory_child_flag = "--idle-memory-child";

}  // namespace corolla::bench
