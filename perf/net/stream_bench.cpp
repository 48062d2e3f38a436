// TCP over loopback, one thread: bulk_transfer streams bulk_mib MiB from one end of a
// connection to the other (sock_sendall of 64 KiB chunks, sock_recv_into a 64 KiB buffer,
// two coroutine tasks), time per MiB; accept_churn runs connect + accept + close cycles
// against a listening socket (a connector task and an acceptor task that is already
// waiting in sock_accept when the connection arrives, so io_uring accepts natively), time
// per cycle. Every usable backend, beside hand-written floors: raw epoll for both and raw
// liburing for accept_churn. The client closes with SO_LINGER 0 (a reset), so no
// TIME_WAIT connections pile up and exhaust the ephemeral ports over a long run; every
// contender does the same.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(COROLLA_BENCH_HAVE_LIBURING)
#include <liburing.h>
#endif

#include <corolla/core/event_loop.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/net/sock_ops.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t mib = 1024 * 1024;

loop_options options_for(const std::string& backend) {
    loop_options options;
    options.backend = backend;
    return options;
}

/// A listening TCP socket on 127.0.0.1 (an ephemeral port), blocking or not; -1 on failure.
int listen_loopback(bool nonblocking, sockaddr_in& bound) {
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (l < 0) return -1;
    const int one = 1;
    ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bound = {};
    bound.sin_family = AF_INET;
    bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof bound;
    if (::bind(l, reinterpret_cast<sockaddr*>(&bound), sizeof bound) != 0 || ::listen(l, 1024) != 0 ||
        ::getsockname(l, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
        ::close(l);
        return -1;
    }
    return l;
}

/// A connected TCP loopback pair (blocking fds, TCP_NODELAY); {-1, -1} on failure.
std::pair<int, int> tcp_pair() {
    sockaddr_in addr{};
    const int l = listen_loopback(false, addr);
    if (l < 0) return {-1, -1};
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (c >= 0) ::close(c);
        ::close(l);
        return {-1, -1};
    }
    const int s = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(l);
    if (s < 0) {
        ::close(c);
        return {-1, -1};
    }
    const int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return {c, s};
}

/// Closes with a reset (SO_LINGER 0): no TIME_WAIT left behind.
void set_abortive_close(int fd) {
    linger lg{};
    lg.l_onoff = 1;
    lg.l_linger = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

// --- bulk_transfer ---------------------------------------------------------------------

coro<void> bulk_send(net::socket& s, std::size_t bytes) {
    const std::string block(chunk, 'b');
    for (std::size_t sent = 0; sent < bytes; sent += chunk)
        co_await net::sock_sendall(s, std::string_view(block).substr(0, std::min(chunk, bytes - sent)));
}

coro<std::size_t> bulk_receive(net::socket& s, std::size_t bytes) {
    std::vector<std::byte> buf(chunk);
    std::size_t got = 0;
    while (got < bytes) {
        const std::size_t n = co_await net::sock_recv_into(s, buf);
        if (n == 0) break;
        got += n;
    }
    co_return got;
}

void corolla_bulk(benchmark::State& state, const std::string& backend, std::size_t mebibytes) {
    const auto [c, s] = tcp_pair();
    if (c < 0) {
        state.SkipWithError("no TCP loopback connection");
        return;
    }
    event_loop loop{options_for(backend)};
    net::socket out = net::socket::adopt(c);
    net::socket in = net::socket::adopt(s);
    const std::size_t bytes = mebibytes * mib;
    timed_rounds(state, mebibytes, "the transfer did not complete", [&] {
        auto receiver = create_task(loop, bulk_receive(in, bytes));
        auto sender = create_task(loop, bulk_send(out, bytes));
        loop.run_until_complete(sender);
        return loop.run_until_complete(receiver) == bytes;
    });
}

/// Raw epoll, one thread, both ends non-blocking in one (level-triggered) epoll set: send
/// until EAGAIN, receive until EAGAIN, then one epoll_wait per turn, as a loop iteration.
void floor_epoll_bulk(benchmark::State& state, std::size_t mebibytes) {
    const auto [c, s] = tcp_pair();
    if (c < 0) {
        state.SkipWithError("no TCP loopback connection");
        return;
    }
    for (int fd : {c, s})
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.fd = c;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    ev.events = EPOLLIN;
    ev.data.fd = s;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    const std::string block(chunk, 'b');
    std::vector<char> buf(chunk);
    const std::size_t bytes = mebibytes * mib;
    timed_rounds(state, mebibytes, "the floor transfer failed", [&] {
        std::size_t sent = 0, got = 0;
        while (got < bytes) {
            while (sent < bytes) {
                const ssize_t n = ::send(c, block.data(), std::min(chunk, bytes - sent), MSG_NOSIGNAL);
                if (n < 0) {
                    if (errno == EAGAIN) break;
                    return false;
                }
                sent += static_cast<std::size_t>(n);
            }
            for (;;) {
                const ssize_t n = ::recv(s, buf.data(), chunk, 0);
                if (n < 0) {
                    if (errno == EAGAIN) break;
                    return false;
                }
                if (n == 0) return false;
                got += static_cast<std::size_t>(n);
            }
            if (got < bytes) {
                epoll_event out[2];
                if (::epoll_wait(ep, out, 2, -1) < 0) return false;
            }
        }
        return true;
    });
    ::close(ep);
    ::close(c);
    ::close(s);
}

// --- accept_churn ----------------------------------------------------------------------

coro<void> acceptor(net::socket& listener, future<void>& accepted_one, std::size_t cycles) {
    for (std::size_t i = 0; i < cycles; ++i) {
        net::accepted a = co_await net::sock_accept(listener);
        a.sock.close();
        accepted_one.set_result();
    }
}

coro<void> connector(event_loop& loop, const net::address& to, future<void>& accepted_one, std::size_t cycles) {
    for (std::size_t i = 0; i < cycles; ++i) {
        net::socket c(AF_INET, SOCK_STREAM);
        co_await net::sock_connect(c, to);
        co_await accepted_one;
        accepted_one = loop.create_future<void>();
        set_abortive_close(c.fileno());
        c.close();
    }
}

void corolla_accept(benchmark::State& state, const std::string& backend, std::size_t cycles) {
    event_loop loop{options_for(backend)};
    net::socket listener(AF_INET, SOCK_STREAM);
    listener.set_reuse_address(true);
    listener.bind(net::address::ipv4("127.0.0.1", 0));
    listener.listen(1024);
    const net::address to = listener.local_address();
    timed_rounds(state, cycles, "the accept churn failed", [&] {
        future<void> accepted_one = loop.create_future<void>();
        auto a = create_task(loop, acceptor(listener, accepted_one, cycles));
        auto c = create_task(loop, connector(loop, to, accepted_one, cycles));
        loop.run_until_complete(c);
        loop.run_until_complete(a);
        return true;
    });
}

/// Raw epoll, one thread: the listener registered once (level-triggered); per cycle a
/// non-blocking socket, connect (EINPROGRESS), the socket added for EPOLLOUT, epoll_wait
/// until the listener is readable and the socket writable, accept4, SO_ERROR, close both.
void floor_epoll_accept(benchmark::State& state, std::size_t cycles) {
    sockaddr_in addr{};
    const int l = listen_loopback(true, addr);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = l;
    if (l < 0 || ep < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) != 0) {
        state.SkipWithError("listener set-up failed");
        return;
    }
    timed_rounds(state, cycles, "the floor accept churn failed", [&] {
        for (std::size_t i = 0; i < cycles; ++i) {
            const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c < 0) return false;
            if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
                ::close(c);
                return false;
            }
            epoll_event cev{};
            cev.events = EPOLLOUT;
            cev.data.fd = c;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
            bool readable = false, writable = false;
            while (!(readable && writable)) {
                epoll_event out[4];
                const int n = ::epoll_wait(ep, out, 4, -1);
                if (n < 0) {
                    ::close(c);
                    return false;
                }
                for (int k = 0; k < n; ++k) {
                    readable |= out[k].data.fd == l;
                    writable |= out[k].data.fd == c;
                }
            }
            const int s = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
            if (s >= 0) ::close(s);
            set_abortive_close(c);
            ::close(c);
            if (s < 0 || err != 0) return false;
        }
        return true;
    });
    ::close(ep);
    ::close(l);
}

#if defined(COROLLA_BENCH_HAVE_LIBURING)
/// Raw liburing, one thread: per cycle an accept and a connect submitted together (the
/// accept first, so it waits in the kernel when the connection arrives), one
/// io_uring_submit_and_wait for both completions, then close both.
void floor_io_uring_accept(benchmark::State& state, std::size_t cycles) {
    sockaddr_in addr{};
    const int l = listen_loopback(false, addr);
    io_uring ring{};
    if (l < 0 || ::io_uring_queue_init(64, &ring, 0) < 0) {
        state.SkipWithError("listener or io_uring set-up failed");
        if (l >= 0) ::close(l);
        return;
    }
    timed_rounds(state, cycles, "the floor accept churn failed", [&] {
        for (std::size_t i = 0; i < cycles; ++i) {
            const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (c < 0) return false;
            io_uring_sqe* sqe = ::io_uring_get_sqe(&ring);
            ::io_uring_prep_accept(sqe, l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            sqe->user_data = 1;
            sqe = ::io_uring_get_sqe(&ring);
            ::io_uring_prep_connect(sqe, c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
            sqe->user_data = 2;
            if (::io_uring_submit_and_wait(&ring, 2) < 0) {
                ::close(c);
                return false;
            }
            int s = -1, connected = -1;
            for (int k = 0; k < 2; ++k) {
                io_uring_cqe* cqe = nullptr;
                if (::io_uring_wait_cqe(&ring, &cqe) < 0) break;
                (cqe->user_data == 1 ? s : connected) = cqe->res;
                ::io_uring_cqe_seen(&ring, cqe);
            }
            if (s >= 0) ::close(s);
            set_abortive_close(c);
            ::close(c);
            if (s < 0 || connected != 0) return false;
        }
        return true;
    });
    ::io_uring_queue_exit(&ring);
    ::close(l);
}
#endif

}  // namespace

void register_stream_benchmarks(const std::vector<std::string>& backends, const bench_sizes& sizes) {
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("bulk_transfer", "corolla:" + b).c_str(), corolla_bulk, b,
                                     sizes.bulk_mib)
            ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("bulk_transfer", "floor:epoll").c_str(), floor_epoll_bulk, sizes.bulk_mib)
        ->Unit(benchmark::kMillisecond);

    for (const auto& b : backends)
        benchmark::RegisterBenchmark(bench_name("accept_churn", "corolla:" + b).c_str(), corolla_accept, b,
                                     sizes.accept_cycles)
            ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("accept_churn", "floor:epoll").c_str(), floor_epoll_accept,
                                 sizes.accept_cycles)
        ->Unit(benchmark::kMillisecond);
#if defined(COROLLA_BENCH_HAVE_LIBURING)
    benchmark::RegisterBenchmark(bench_name("accept_churn", "floor:io_uring").c_str(), floor_io_uring_accept,
                                 sizes.accept_cycles)
        ->Unit(benchmark::kMillisecond);
#endif
}

}  // namespace corolla::bench
