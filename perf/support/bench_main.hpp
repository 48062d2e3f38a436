// The main of a corolla benchmark binary, shared by perf/*/*_bench.cpp: Google Benchmark's
// set-up, the backends this host can run (a compiled-in backend it cannot run is named and
// skipped), registration, and the context tools/compare reads back from the JSON.
#pragma once

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/backend_registry.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {

// The optional peers this binary was built with: perf/CMakeLists.txt defines
// COROLLA_BENCH_HAVE_LIBUV / _ASIO / _BOOST_FIBER and COROLLA_BENCH_PYTHON only where the
// peer was found (and the binary has sources for it).
#if defined(COROLLA_BENCH_HAVE_LIBUV)
inline constexpr bool have_libuv = true;
#else
inline constexpr bool have_libuv = false;
#endif
#if defined(COROLLA_BENCH_HAVE_ASIO)
inline constexpr bool have_asio = true;
#else
inline constexpr bool have_asio = false;
#endif
#if defined(COROLLA_BENCH_HAVE_BOOST_FIBER)
inline constexpr bool have_boost_fiber = true;
#else
inline constexpr bool have_boost_fiber = false;
#endif
#if defined(COROLLA_BENCH_PYTHON)
inline constexpr bool have_python = true;
#else
inline constexpr bool have_python = false;
#endif

/// The peers named in the benchmark context ("corolla_peers"): each name whose flag is set,
/// in the order given.
inline std::vector<std::string> built_peers(std::initializer_list<std::pair<bool, const char*>> peers) {
    std::vector<std::string> out;
    for (const auto& [built, name] : peers)
        if (built) out.emplace_back(name);
    return out;
}

/// Runs the binary `tool`: `register_all(usable backends, sizes)` registers its
/// benchmarks; `peers` and `extra` (name, value) pairs go into the benchmark context.
template <class Register>
int run_benchmarks(int& argc, char** argv, const char* tool, const char* build_type, Register register_all,
                   const std::vector<std::string>& peers,
                   const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    const bench_sizes sizes = sizes_from_env();
    const std::vector<std::string> usable = corolla::available_backends();
    for (const auto& b : corolla::registered_backends())
        if (std::find(usable.begin(), usable.end(), b) == usable.end())
            std::fprintf(stderr, "%s: backend %s is compiled in but cannot run here; skipped\n", tool, b.c_str());
    if (usable.empty()) {
        std::fprintf(stderr, "%s: no usable backend\n", tool);
        return 1;
    }

    register_all(usable, sizes);
    benchmark::AddCustomContext("corolla_backends", join(usable));
    benchmark::AddCustomContext("corolla_build_type", build_type);
    benchmark::AddCustomContext("corolla_smoke", sizes.smoke ? "1" : "0");
    benchmark::AddCustomContext("corolla_peers", join(peers));
    for (const auto& [name, value] : extra)
        benchmark::AddCustomContext(name, value);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // namespace corolla::bench
