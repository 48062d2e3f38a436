// Hand-written floors of the cross-thread wake-up: two threads, each blocked on its own
// eventfd, waking each other in turn. floor: a blocking read(2) of the eventfd (the bare
// kernel wake-up, no poller); floor:epoll: the eventfd in an epoll set, epoll_wait then a
// non-blocking read, as a readiness loop's wake-up fd is used. No queue, no callback.
#include <atomic>
#include <cstdint>
#include <thread>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

/// One side's wake-up fd and, with `use_epoll`, the epoll set holding it.
class waker {
public:
    explicit waker(bool use_epoll) {
        fd_ = ::eventfd(0, EFD_CLOEXEC | (use_epoll ? EFD_NONBLOCK : 0));
        if (use_epoll && fd_ >= 0) {
            ep_ = ::epoll_create1(EPOLL_CLOEXEC);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = fd_;
            if (ep_ < 0 || ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd_, &ev) != 0) ok_ = false;
        }
        if (fd_ < 0) ok_ = false;
    }
    ~waker() {
        if (ep_ >= 0) ::close(ep_);
        if (fd_ >= 0) ::close(fd_);
    }
    waker(const waker&) = delete;
    waker& operator=(const waker&) = delete;

    bool ok() const noexcept { return ok_; }
    bool wake() const noexcept {
        const std::uint64_t one = 1;
        return ::write(fd_, &one, sizeof one) == sizeof one;
    }
    /// Blocks until woken; false on an error.
    bool wait() const noexcept {
        std::uint64_t value = 0;
        if (ep_ >= 0) {
            epoll_event ev[4];
            for (;;) {
                if (::epoll_wait(ep_, ev, 4, -1) < 0) return false;
                if (::read(fd_, &value, sizeof value) == sizeof value) return true;
            }
        }
        return ::read(fd_, &value, sizeof value) == sizeof value;
    }

private:
    int fd_ = -1;
    int ep_ = -1;
    bool ok_ = true;
};

void floor_wake(benchmark::State& state, bool use_epoll, std::size_t rounds) {
    waker here{use_epoll}, there{use_epoll};
    if (!here.ok() || !there.ok()) {
        state.SkipWithError("eventfd/epoll set-up failed");
        return;
    }
    std::atomic<bool> quit{false};
    std::thread other([&] {
        while (there.wait() && !quit.load(std::memory_order_acquire))
            if (!here.wake()) break;
    });
    timed_rounds(state, rounds, "a wake-up failed", [&] {
        for (std::size_t i = 0; i < rounds; ++i)
            if (!there.wake() || !here.wait()) return false;
        return true;
    });
    quit.store(true, std::memory_order_release);
    there.wake();
    other.join();
}

}  // namespace

void register_floor_wake(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("cross_thread_wake", "floor").c_str(), floor_wake, false, sizes.wake_rounds)
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("cross_thread_wake", "floor:epoll").c_str(), floor_wake, true,
                                 sizes.wake_rounds)
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace corolla::bench
