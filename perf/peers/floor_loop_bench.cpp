// Hand-written floors for the loop benchmarks: the least code that uses a mechanism the
// way a loop iteration must. A tick floor polls one registered eventfd (a loop always has
// its wake-up fd) with a zero timeout; the call_soon floor fills and drains a vector of
// std::function. corolla's ratio to these is its overhead over the raw mechanism.
#include <functional>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

/// An eventfd closed on scope exit; never signalled, so polling it finds nothing.
class idle_fd {
public:
    idle_fd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~idle_fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    idle_fd(const idle_fd&) = delete;
    idle_fd& operator=(const idle_fd&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

void floor_epoll_tick(benchmark::State& state) {
    const idle_fd efd;
    const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event reg{};
    reg.events = EPOLLIN;
    reg.data.fd = efd.get();
    if (efd.get() < 0 || epfd < 0 || ::epoll_ctl(epfd, EPOLL_CTL_ADD, efd.get(), &reg) != 0) {
        state.SkipWithError("epoll set-up failed");
        if (epfd >= 0) ::close(epfd);
        return;
    }
    epoll_event out[64];
    for (auto _ : state) {
        int n = ::epoll_wait(epfd, out, 64, 0);
        benchmark::DoNotOptimize(n);
    }
    ::close(epfd);
    set_batch(state, 1);
}

void floor_poll_tick(benchmark::State& state) {
    const idle_fd efd;
    if (efd.get() < 0) {
        state.SkipWithError("eventfd failed");
        return;
    }
    pollfd pfd{efd.get(), POLLIN, 0};
    for (auto _ : state) {
        int n = ::poll(&pfd, 1, 0);
        benchmark::DoNotOptimize(n);
    }
    set_batch(state, 1);
}

void floor_select_tick(benchmark::State& state) {
    const idle_fd efd;
    if (efd.get() < 0 || efd.get() >= FD_SETSIZE) {
        state.SkipWithError("eventfd failed or is past FD_SETSIZE");
        return;
    }
    for (auto _ : state) {
        // select() overwrites its sets and timeout, so a real loop rebuilds them each turn.
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(efd.get(), &rd);
        timeval tv{0, 0};
        int n = ::select(efd.get() + 1, &rd, nullptr, nullptr, &tv);
        benchmark::DoNotOptimize(n);
    }
    set_batch(state, 1);
}

void floor_call_soon(benchmark::State& state, std::size_t batch) {
    std::vector<std::function<void()>> queue;
    queue.reserve(batch);
    std::size_t ran = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < batch; ++i)
            queue.emplace_back([&ran] { ++ran; });
        for (auto& fn : queue)
            fn();
        queue.clear();
    }
    if (ran != batch * static_cast<std::size_t>(state.iterations())) state.SkipWithError("not every callback ran");
    set_batch(state, batch);
}

}  // namespace

bool register_floor_loop_tick(const std::string& mechanism) {
    void (*fn)(benchmark::State&) = nullptr;
    if (mechanism == "epoll")
        fn = floor_epoll_tick;
    else if (mechanism == "poll")
        fn = floor_poll_tick;
    else if (mechanism == "select")
        fn = floor_select_tick;
    if (!fn) return false;
    benchmark::RegisterBenchmark(bench_name("loop_tick", "floor:" + mechanism).c_str(), fn)
        ->Unit(benchmark::kNanosecond);
    return true;
}

void register_floor_call_soon(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("call_soon", "floor").c_str(), floor_call_soon, sizes.call_soon_batch)
        ->Unit(benchmark::kMicrosecond);
}

}  // namespace corolla::bench
