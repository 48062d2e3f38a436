// echo_floor_epoll: the floor of the TCP echo comparison (tools/compare, scenario
// tcp_echo). The least work a single-threaded epoll server can do per request: every
// socket is registered once, edge-triggered for input and output, so there is no
// epoll_ctl per request; a readable socket is read into one shared buffer and written
// straight back. A read shorter than the buffer means the socket is drained (new data is a
// new edge), which saves the recv that would only return EAGAIN. Bytes the kernel does not
// take are kept per connection and sent when EPOLLOUT comes; while more than a bound is
// queued, reading stops (back-pressure).
//
//   echo_floor_epoll --port 0      prints "listening on <port>" (127.0.0.1), runs until
//                                  SIGTERM or SIGINT, exits 0
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_peer_support.hpp"

namespace {

constexpr std::size_t read_size = 64 * 1024;
constexpr std::size_t max_queued = 1024 * 1024;  // stop reading while this much waits to be sent

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

struct connection {
    bool open = false;
    bool reading_paused = false;
    std::vector<char> queued;  // bytes not yet taken by the kernel
    std::size_t queued_from = 0;
};

class server {
public:
    explicit server(int listen_fd) : listen_fd_(listen_fd), buffer_(read_size) {
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epfd_ < 0) die("epoll_create1");
        epoll_event ev{};
        ev.events = EPOLLIN;  // level-triggered: accept until EAGAIN, and a missed one is reported again
        ev.data.fd = listen_fd_;
        if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) die("epoll_ctl(listen)");
    }

    /// Runs until SIGTERM/SIGINT. The signals are blocked except inside epoll_pwait, so one
    /// arriving between two waits is not lost.
    void run(const sigset_t& wait_mask) {
        epoll_event events[256];
        while (!stop_requested) {
            const int n = ::epoll_pwait(epfd_, events, 256, -1, &wait_mask);
            if (n < 0) {
                if (errno == EINTR) continue;
                die("epoll_pwait");
            }
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == listen_fd_) {
                    accept_all();
                    continue;
                }
                const std::uint32_t e = events[i].events;
                if ((e & EPOLLOUT) && !flush(fd)) continue;
                if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_some(fd);
            }
        }
    }

private:
    [[noreturn]] static void die(const char* what) {
        std::fprintf(stderr, "echo_floor_epoll: %s: %s\n", what, std::strerror(errno));
        std::exit(1);
    }

    void accept_all() {
        for (;;) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    std::fprintf(stderr, "echo_floor_epoll: accept: %s\n", std::strerror(errno));
                return;
            }
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (static_cast<std::size_t>(fd) >= conns_.size()) conns_.resize(static_cast<std::size_t>(fd) + 64);
            conns_[static_cast<std::size_t>(fd)].open = true;
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
            ev.data.fd = fd;
            if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
                std::fprintf(stderr, "echo_floor_epoll: epoll_ctl: %s\n", std::strerror(errno));
                close_connection(fd);
            }
        }
    }

    void close_connection(int fd) {
        connection& c = conns_[static_cast<std::size_t>(fd)];
        c = connection{};
        ::close(fd);  // also leaves the epoll set: nothing else holds the file
    }

    /// Reads until the socket is drained (or reading pauses for back-pressure), echoing each chunk.
    void read_some(int fd) {
        connection& c = conns_[static_cast<std::size_t>(fd)];
        if (!c.open || c.reading_paused) return;
        for (;;) {
            const ssize_t n = ::recv(fd, buffer_.data(), read_size, 0);
            if (n > 0) {
                if (!write(fd, buffer_.data(), static_cast<std::size_t>(n))) return;
                if (c.queued.size() - c.queued_from > max_queued) {
                    c.reading_paused = true;
                    return;
                }
                if (static_cast<std::size_t>(n) < read_size) return;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            close_connection(fd);  // EOF, ECONNRESET, ...
            return;
        }
    }

    /// Sends `data` after anything already queued; keeps what the kernel does not take.
    /// False when the connection was closed.
    bool write(int fd, const char* data, std::size_t len) {
        connection& c = conns_[static_cast<std::size_t>(fd)];
        std::size_t done = 0;
        if (c.queued_from == c.queued.size()) {
            while (done < len) {
                const ssize_t n = ::send(fd, data + done, len - done, MSG_NOSIGNAL);
                if (n >= 0) {
                    done += static_cast<std::size_t>(n);
                } else if (errno == EINTR) {
                    continue;
                } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    break;
                } else {
                    close_connection(fd);
                    return false;
                }
            }
        }
        if (done < len) c.queued.insert(c.queued.end(), data + done, data + len);
        return true;
    }

    /// EPOLLOUT: sends what is queued; resumes reading once it is all gone. False when closed.
    bool flush(int fd) {
        connection& c = conns_[static_cast<std::size_t>(fd)];
        if (!c.open) return false;
        while (c.queued_from < c.queued.size()) {
            const ssize_t n =
                ::send(fd, c.queued.data() + c.queued_from, c.queued.size() - c.queued_from, MSG_NOSIGNAL);
            if (n >= 0) {
                c.queued_from += static_cast<std::size_t>(n);
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            } else {
                close_connection(fd);
                return false;
            }
        }
        c.queued.clear();
        c.queued_from = 0;
        if (c.reading_paused) {
            // The input edge came while paused; nothing will repeat it, so read now.
            c.reading_paused = false;
            read_some(fd);
        }
        return true;
    }

    int listen_fd_;
    int epfd_ = -1;
    std::vector<char> buffer_;
    std::vector<connection> conns_;
};

}  // namespace

int main(int argc, char** argv) {
    const int port = corolla::peers::parse_port(argc, argv, "echo_floor_epoll");

    corolla::peers::raise_fd_limit();  // a thousand connections

    sigset_t blocked, wait_mask;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    ::sigprocmask(SIG_BLOCK, &blocked, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, SOMAXCONN) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::fprintf(stderr, "echo_floor_epoll: cannot listen on 127.0.0.1:%d: %s\n", port, std::strerror(errno));
        return 1;
    }
    server s(fd);
    std::printf("listening on %d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    s.run(wait_mask);
    return 0;
}
