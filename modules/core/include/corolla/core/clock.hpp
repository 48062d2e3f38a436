// Clocks for the event loop. The loop reads time through a `clock` so tests can swap the
// real monotonic clock for a `virtual_clock`: with it, whenever the loop would block
// waiting for a timer it instead jumps virtual time to that timer's deadline, so
// `sleep(3600s)` completes instantly and deterministically.
#pragma once

#include <chrono>

namespace corolla {

/// The loop's time unit and time point: nanoseconds on the steady-clock epoch.
using duration = std::chrono::nanoseconds;
using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

/// Where the loop reads its time from. now() must be monotonic.
class clock {
public:
    virtual ~clock() = default;
    virtual time_point now() const noexcept = 0;
    /// True for clocks whose time only moves when the loop advances it.
    virtual bool is_virtual() const noexcept { return false; }
    /// Called by the loop instead of blocking when is_virtual(): move time to `t`.
    virtual void advance_to(time_point t) noexcept { (void)t; }
};

/// The real monotonic clock (std::chrono::steady_clock, CLOCK_MONOTONIC on Linux).
class steady_clock_source final : public clock {
public:
    time_point now() const noexcept override {
        return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
    }
};

/// A clock that stands still until the loop (or the test) advances it. A loop using it
/// never sleeps for timers: when nothing is ready it polls the selector without
/// blocking and, if nothing arrived, jumps to the next timer's deadline. It still
/// blocks for real when there is no timer at all (waiting for I/O or another thread).
class virtual_clock final : public clock {
public:
    explicit virtual_clock(time_point start = time_point{} + std::chrono::hours(1)) : now_(start) {}
    time_point now() const noexcept override { return now_; }
    bool is_virtual() const noexcept override { return true; }
    void advance_to(time_point t) noexcept override {
        if (t > now_) now_ = t;
    }
    /// Moves time forward by `d` (tests use this to make a callback look slow).
    void advance(duration d) noexcept { advance_to(now_ + d); }

private:
    time_point now_;
};

}  // namespace corolla
