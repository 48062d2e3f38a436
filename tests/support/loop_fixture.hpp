// Teardown hygiene for loop tests: a loop on the requested backend (optionally with a
// virtual clock) that, when the test ends, checks that nothing is left behind — no
// pending callbacks, timers, fd or signal registrations — and that no fd leaked.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <corolla/core/event_loop.hpp>

namespace corolla::test {

/// Number of open fds of this process (entries of /proc/self/fd, or probing elsewhere).
int count_open_fds();

enum class clock_kind { real, virtual_time };

class loop_fixture {
public:
    explicit loop_fixture(const std::string& backend, clock_kind clock = clock_kind::virtual_time);
    ~loop_fixture();
    loop_fixture(const loop_fixture&) = delete;
    loop_fixture& operator=(const loop_fixture&) = delete;

    corolla::event_loop& loop() { return *loop_; }
    /// Null when the fixture uses the real clock.
    corolla::virtual_clock* vclock() { return vclock_.get(); }
    /// Runs until no callbacks or timers are left (bounded), for tests that end with work queued.
    void drain(int max_iterations = 1000);

private:
    int fds_before_;
    std::string backend_;
    std::shared_ptr<corolla::virtual_clock> vclock_;
    std::optional<corolla::event_loop> loop_;
};

/// A pipe / socketpair whose ends are closed at scope exit.
struct fd_pair {
    int a = -1;
    int b = -1;
    static fd_pair pipe();
    static fd_pair socketpair();
    fd_pair() = default;
    fd_pair(int x, int y) : a(x), b(y) {}
    fd_pair(fd_pair&& o) noexcept : a(std::exchange(o.a, -1)), b(std::exchange(o.b, -1)) {}
    fd_pair& operator=(fd_pair&& o) noexcept {
        if (this != &o) {
            close_a();
            close_b();
            a = std::exchange(o.a, -1);
            b = std::exchange(o.b, -1);
        }
        return *this;
    }
    void close_a();
    void close_b();
    ~fd_pair();
};

}  // namespace corolla::test
