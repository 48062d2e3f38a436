// Running a measuring child process and reading back what it measured (see
// child_process.hpp): posix_spawn with standard output on a pipe, one sample per line.
#include "support/child_process.hpp"

#include "support/bench_support.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace corolla::bench {
namespace {

std::string errno_text(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

bool parse_samples(const std::string& text, std::vector<child_sample>& out) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::istringstream fields(line);
        child_sample s;
        if (!(fields >> s.wall_seconds >> s.cpu_seconds)) return false;
        if (!(fields >> s.resident_bytes)) s.resident_bytes = 0;
        out.push_back(s);
    }
    return true;
}

std::string quoted(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv)
        s += (s.empty() ? "" : " ") + a;
    return s;
}

}  // namespace

child_run run_child(const std::vector<std::string>& argv) {
    child_run run;
    if (argv.empty()) {
        run.error = "no command";
        return run;
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        run.error = errno_text("pipe2", errno);
        return run;
    }
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);  // dup2 clears CLOEXEC
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        run.error = errno_text(("cannot start " + argv[0]).c_str(), rc);
        return run;
    }
    std::string output;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) {
            output.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        run.error = quoted(argv) + (WIFSIGNALED(status) ? ": killed by signal " + std::to_string(WTERMSIG(status))
                                                        : ": exit status " + std::to_string(WEXITSTATUS(status)));
        return run;
    }
    if (!parse_samples(output, run.samples)) run.error = quoted(argv) + ": unexpected output: " + output;
    return run;
}

std::size_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    const int got = std::fscanf(f, "%lu %lu", &size, &resident);
    std::fclose(f);
    if (got != 2) return 0;
    return static_cast<std::size_t>(resident) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double thread_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void exit_with_sample(const child_sample& s) {
    std::printf("%.9f %.9f %.0f\n", s.wall_seconds, s.cpu_seconds, s.resident_bytes);
    std::fflush(stdout);
    std::_Exit(0);
}

std::string self_executable() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return {};
    return std::string(buf, static_cast<std::size_t>(n));
}

void report_child_samples(benchmark::State& state, const std::vector<child_sample>& samples) {
    double cpu = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        state.SetIterationTime(samples[i].wall_seconds);
        cpu += samples[i].cpu_seconds;
        ++i;
    }
    state.counters["child_cpu_seconds"] = benchmark::Counter(cpu, benchmark::Counter::kAvgIterations);
}

namespace {

void memory_from_child(benchmark::State& state, const std::vector<std::string>& argv, std::size_t count,
                       const std::string& item) {
    const child_run run = run_child(argv);
    if (!run.error.empty() || run.samples.size() != 1) {
        state.SkipWithError(run.error.empty() ? "the child printed no single sample" : run.error.c_str());
        return;
    }
    report_child_samples(state, run.samples);
    state.counters["bytes_per_" + item] = run.samples[0].resident_bytes / static_cast<double>(count);
    state.counters[item + "s"] = static_cast<double>(count);
    set_batch(state, count);  // the time shown is set-up time per item
}

void rounds_from_script(benchmark::State& state, const std::string& python, const std::string& script,
                        const std::string& scenario, std::size_t n) {
    const child_run run =
        run_child({python, script, scenario, std::to_string(n), std::to_string(state.max_iterations)});
    if (!run.error.empty() || run.samples.size() != static_cast<std::size_t>(state.max_iterations)) {
        state.SkipWithError(run.error.empty() ? "the script printed the wrong number of rounds" : run.error.c_str());
        return;
    }
    report_child_samples(state, run.samples);
    set_batch(state, n);
}

}  // namespace

void register_python_rounds(const std::string& python, const std::string& script, const std::string& scenario,
                            std::size_t n) {
    benchmark::RegisterBenchmark(bench_name(scenario, "python_asyncio").c_str(), rounds_from_script, python, script,
                                 scenario, n)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

void register_child_memory(const std::string& scenario, const std::string& variant, std::vector<std::string> argv,
                           std::size_t count, const std::string& item) {
    // One iteration: the figure is a deterministic count, and each iteration costs a child.
    benchmark::RegisterBenchmark(bench_name(scenario, variant).c_str(), memory_from_child, std::move(argv), count, item)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

void register_idle_memory(const std::string& variant, std::vector<std::string> argv, std::size_t tasks) {
    register_child_memory("idle_task_memory", variant, std::move(argv), tasks, "task");
}

std::vector<std::string> idle_memory_child_argv(const std::string& variant, std::size_t tasks,
                                                const std::vector<std::string>& extra) {
    std::vector<std::string> argv{self_executable(), idle_memory_child_flag, variant, std::to_string(tasks)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

}  // namespace corolla::bench
