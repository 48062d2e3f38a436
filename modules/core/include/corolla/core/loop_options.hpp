// Run-time composition of a loop: which backend (by name or a selector object of your
// own), which clock, debug settings. Build-time composition is the set of CMake
// components you link.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <corolla/core/clock.hpp>
#include <corolla/core/selector.hpp>

namespace corolla {

struct loop_options {
    /// Backend by name ("epoll", "poll", ...), "auto", or "" for the COROLLA_BACKEND
    /// environment variable / build default. Ignored when `selector` is set.
    std::string backend;
    /// A selector object to use instead of a named backend.
    std::unique_ptr<corolla::selector> selector{};
    /// The loop's clock; null means the real monotonic clock.
    std::shared_ptr<corolla::clock> clock{};
    /// Debug mode: slow-callback warnings and wrong-thread checks.
    bool debug = false;
    /// In debug mode, callbacks running longer than this are reported.
    duration slow_callback_duration = std::chrono::milliseconds(100);
    /// Workers of the default executor (run_in_executor, to_thread); 0: min(32, cores + 4).
    std::size_t thread_pool_size = 0;
};

}  // namespace corolla
