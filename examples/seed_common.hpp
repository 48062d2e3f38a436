// What the seed examples share whatever their style: the transcript each prints and then
// checks against the seed's output, task states and seconds as the seeds print them, the
// seeds' blocking time.sleep, and clocks to measure the totals they print. Each
// coroutine example and its `_fiber` twin keep only what differs between the styles; what
// each seed prints is in seed_transcripts.hpp.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/task.hpp>

namespace seed {

/// Every line the example printed through say(), to compare with the seed's output.
inline std::vector<std::string> lines;

inline void say(std::string line) {
    std::printf("%s\n", line.c_str());
    lines.push_back(std::move(line));
}

/// print(obj) for an object whose repr holds its address ("<generator object fibo at
/// 0x7f...>"): on screen as it is, in the transcript with "0x..." for the address, which
/// differs from run to run.
inline void print_object(const std::string& repr) {
    std::printf("%s\n", repr.c_str());
    const auto at = repr.find(" at 0x");
    lines.push_back(at == std::string::npos ? repr : repr.substr(0, at) + " at 0x...>");
}

/// "<what at 0x...>", Python's repr of an object without a repr of its own.
inline std::string repr(const std::string& what, const void* address) {
    char buf[2 * sizeof(void*) + 3];
    std::snprintf(buf, sizeof buf, "%p", address);
    return "<" + what + " at " + buf + ">";
}

/// Prints the verdict and returns main's exit code: 0 when the transcript is `expected`
/// and `also` holds (a check the transcript cannot show, such as a measured time).
inline int check(const std::vector<std::string>& expected, bool also = true) {
    const bool ok = also && lines == expected;
    std::printf("%s\n", ok ? "behaves as in the seeds" : "UNEXPECTED OUTPUT");
    return ok ? 0 : 1;
}

/// task._state as the seeds print it.
inline const char* state_name(corolla::task_status s) {
    switch (s) {
    case corolla::task_status::pending: return "PENDING";
    case corolla::task_status::running: return "RUNNING";
    case corolla::task_status::done: return "FINISHED";
    case corolla::task_status::cancelled: return "CANCELLED";
    }
    return "?";
}

/// "4.0": seconds with one decimal, enough to tell 4 s from 7 s.
inline std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}

/// Seconds the loop's clock moved on since `t0` (virtual or real, as the loop has it).
inline double since(corolla::event_loop& loop, corolla::time_point t0) {
    return std::chrono::duration<double>(loop.time() - t0).count();
}

/// A seed second of real time where a seed blocks the thread: scaled down so that the
/// tests stay quick, long enough that the measured totals show what ran in series.
inline constexpr std::chrono::milliseconds seed_second{50};

/// time.sleep(s): blocks the whole thread, and so the loop and every task on it.
inline void blocking_sleep(double s) {
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(s * seed_second));
}

/// Measures real time in seed seconds (see seed_second): the seeds' `now() - start`.
class stopwatch {
public:
    double seed_seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_) / seed_second;
    }

    /// Prints "TIME: 4.0" with what it measured (not in the transcript: it varies a little
    /// from run to run); true when at least `at_least` seed seconds passed, as they must
    /// when the blocking sleeps ran one after the other.
    bool print_time(double at_least) const {
        const double took = seed_seconds();
        std::printf("TIME: %.1f (seed seconds, measured on the real clock)\n", took);
        return took >= at_least;
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace seed
