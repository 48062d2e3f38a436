// Shared pieces of the benchmark binaries: workload sizes (shrunk for smoke runs), the
// naming scheme tools/compare pairs results by, and the registration hooks of the floor
// and peer files. Names are "<scenario>/<variant>" with variant "corolla:<backend>",
// "floor:<mechanism>", "floor" or a peer such as "libuv".
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace corolla::bench {

/// Items per benchmark iteration for the batch scenarios.
struct bench_sizes {
    std::size_t call_soon_batch = 10'000;
    std::size_t timer_count = 1'000'000;
    bool smoke = false;
};

/// The full sizes, or tiny ones when COROLLA_BENCH_SMOKE is set to anything but "0" (used
/// by `tools/compare --smoke` so a CTest run stays in the seconds).
inline bench_sizes sizes_from_env() {
    const char* smoke = std::getenv("COROLLA_BENCH_SMOKE");
    if (smoke && *smoke && std::string_view(smoke) != "0")
        return {.call_soon_batch = 100, .timer_count = 1'000, .smoke = true};
    return {};
}

inline std::string bench_name(std::string_view scenario, std::string_view variant) {
    std::string s(scenario);
    s += '/';
    s += variant;
    return s;
}

/// Records how many items one iteration handles: items/s for the console and a "batch"
/// counter so tools/compare can turn time per iteration into time per item.
inline void set_batch(benchmark::State& state, std::size_t batch) {
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
    state.counters["batch"] = static_cast<double>(batch);
}

/// Timer delays for the start/cancel scenario, identical for every contender: spread
/// over 1..11 s in whole milliseconds (libuv's unit) from a fixed LCG, so the heaps see
/// the same unordered insertions and no timer comes due during the measurement.
inline std::vector<std::uint64_t> timer_delays_ms(std::size_t n) {
    std::vector<std::uint64_t> out(n);
    std::uint64_t x = 0x2545f4914f6cdd1dULL;
    for (auto& d : out) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        d = 1000 + (x >> 33) % 10'000;
    }
    return out;
}

// Floors (peers/floor_loop_bench.cpp): hand-written minimal versions of a mechanism.

/// Registers loop_tick/floor:<mechanism>; false if there is no floor for it.
bool register_floor_loop_tick(const std::string& mechanism);
/// Registers call_soon/floor: a vector of std::function filled and drained.
void register_floor_call_soon(const bench_sizes& sizes);

// libuv peer (peers/uv_loop_bench.cpp), compiled only when libuv was found.
#if defined(COROLLA_BENCH_HAVE_LIBUV)
void register_uv_loop_tick();
void register_uv_timer_start_cancel(const bench_sizes& sizes);
void register_uv_timer_fire(const bench_sizes& sizes);
#endif

}  // namespace corolla::bench
