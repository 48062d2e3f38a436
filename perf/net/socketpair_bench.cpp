// Socket round trips in one thread: socketpair_pingpong sends 64 bytes (read into 4 KiB buffers) from one end of a
// Unix socketpair to the other and back, through two coroutine tasks using the sock_*
// operations, on every usable backend (so io_uring runs its native recv/send). Beside them,
// the floors of the two mechanisms, written by hand: a raw epoll ping-pong
// (floor:epoll: recv until EAGAIN, epoll_wait, recv, send) and a raw liburing one
// (floor:io_uring: recv submitted to the kernel, one io_uring_submit_and_wait per hop).
// Time per round trip. net/stream_bench.cpp adds bulk_transfer and accept_churn to this
// binary. COROLLA_BENCH_SMOKE=1 shrinks the rounds.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(COROLLA_BENCH_HAVE_LIBURING)
#include <liburing.h>
#endif

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/net/sock_ops.hpp>

#include "support/bench_support.hpp"

#ifndef COROLLA_BENCH_BUILD_TYPE
#define COROLLA_BENCH_BUILD_TYPE "unknown"
#endif

namespace corolla::bench {
namespace {

constexpr std::size_t message = 64;
// Every contender reads into a 4 KiB buffer, as a real program would: a read that does
// not fill its buffer tells that the socket is empty, so no one needs an EAGAIN syscall.
constexpr std::size_t read_buffer = 4096;

std::size_t rounds_for(const bench_sizes& s) { return s.smoke ? 200 : 20'000; }

loop_options options_for(const std::string& backend) {
    loop_options options;
    options.backend = backend;
    return options;
}

coro<void> echo_side(net::socket& s, std::size_t rounds) {
    std::vector<std::byte> buf(read_buffer);
    for (std::size_t i = 0; i < rounds; ++i) {
        std::size_t got = 0;
        while (got < message)
            got += co_await net::sock_recv_into(s, std::span(buf).subspan(got));
        co_await net::sock_sendall(s, std::string_view(reinterpret_cast<const char*>(buf.data()), message));
    }
}

coro<void> ping_side(net::socket& s, std::size_t rounds) {
    std::vector<std::byte> buf(read_buffer);
    const std::string out(message, 'p');
    for (std::size_t i = 0; i < rounds; ++i) {
        co_await net::sock_sendall(s, std::string_view(out));
        std::size_t got = 0;
        while (got < message)
            got += co_await net::sock_recv_into(s, std::span(buf).subspan(got));
    }
}

void corolla_pingpong(benchmark::State& state, const std::string& backend, std::size_t rounds) {
    event_loop loop{options_for(backend)};
    auto [a, b] = net::socket::pair();
    timed_rounds(state, rounds, "the ping-pong failed", [&] {
        auto echo = create_task(loop, echo_side(b, rounds));
        auto ping = create_task(loop, ping_side(a, rounds));
        loop.run_until_complete(ping);
        loop.run_until_complete(echo);
        return true;
    });
}

// --- floors ----------------------------------------------------------------------------

bool recv_all(int fd, char* buf) {
    std::size_t got = 0;
    while (got < message) {
        const ssize_t n = ::recv(fd, buf + got, read_buffer - got, 0);
        if (n <= 0) return false;
        got += static_cast<std::size_t>(n);
    }
    return true;
}

/// Raw epoll: both ends non-blocking in one epoll set (level-triggered, registered once);
/// each hop is send, epoll_wait, recv — the least a readiness loop can do.
void floor_epoll(benchmark::State& state, std::size_t rounds) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        state.SkipWithError("socketpair");
        return;
    }
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (int fd : sv) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    char buf[read_buffer];
    const std::string out(message, 'p');
    timed_rounds(state, rounds, "the floor ping-pong failed", [&] {
        for (std::size_t i = 0; i < rounds; ++i) {
            for (int hop = 0; hop < 2; ++hop) {
                const int from = sv[hop], to = sv[1 - hop];
                if (::send(from, out.data(), message, MSG_NOSIGNAL) != static_cast<ssize_t>(message)) return false;
                epoll_event ev[2];
                if (::epoll_wait(ep, ev, 2, -1) < 1) return false;
                if (!recv_all(to, buf)) return false;
            }
        }
        return true;
    });
    ::close(ep);
    ::close(sv[0]);
    ::close(sv[1]);
}

#if defined(COROLLA_BENCH_HAVE_LIBURING)
/// Raw liburing: the receiving end's recv is in the kernel before the send; each hop is
/// send, then one io_uring_submit_and_wait that submits the next recv and reaps this one.
void floor_io_uring(benchmark::State& state, std::size_t rounds) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        state.SkipWithError("socketpair");
        return;
    }
    io_uring ring{};
    if (::io_uring_queue_init(64, &ring, 0) < 0) {
        state.SkipWithError("io_uring unavailable");
        ::close(sv[0]);
        ::close(sv[1]);
        return;
    }
    char buf[read_buffer];
    const std::string out(message, 'p');
    auto hop = [&](int from, int to) {
        io_uring_sqe* sqe = ::io_uring_get_sqe(&ring);
        ::io_uring_prep_recv(sqe, to, buf, read_buffer, 0);
        ::io_uring_submit(&ring);
        if (::send(from, out.data(), message, MSG_NOSIGNAL) != static_cast<ssize_t>(message)) return false;
        io_uring_cqe* cqe = nullptr;
        if (::io_uring_wait_cqe(&ring, &cqe) < 0) return false;
        const bool ok = cqe->res == static_cast<int>(message);
        ::io_uring_cqe_seen(&ring, cqe);
        return ok;
    };
    timed_rounds(state, rounds, "the floor ping-pong failed", [&] {
        for (std::size_t i = 0; i < rounds; ++i)
            if (!hop(sv[0], sv[1]) || !hop(sv[1], sv[0])) return false;
        return true;
    });
    ::io_uring_queue_exit(&ring);
    ::close(sv[0]);
    ::close(sv[1]);
}
#endif

void register_all(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    const std::size_t rounds = rounds_for(sizes);
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("socketpair_pingpong", "corolla:" + b).c_str(), corolla_pingpong, b,
                                     rounds);
    benchmark::RegisterBenchmark(bench_name("socketpair_pingpong", "floor:epoll").c_str(), floor_epoll, rounds);
#if defined(COROLLA_BENCH_HAVE_LIBURING)
    benchmark::RegisterBenchmark(bench_name("socketpair_pingpong", "floor:io_uring").c_str(), floor_io_uring, rounds);
#endif
    register_stream_benchmarks(backends, sizes);
}

}  // namespace
}  // namespace corolla::bench

int main(int argc, char** argv) {
    using namespace corolla::bench;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    const bench_sizes sizes = sizes_from_env();
    const std::vector<std::string> usable = corolla::available_backends();
    register_all(usable, sizes);
    benchmark::AddCustomContext("corolla_backends", join(usable));
    benchmark::AddCustomContext("corolla_build_type", COROLLA_BENCH_BUILD_TYPE);
    benchmark::AddCustomContext("corolla_smoke", sizes.smoke ? "1" : "0");
    benchmark::AddCustomContext("corolla_peers", "");
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
