#include <corolla/net/socket.hpp>

#include <cerrno>
#include <mutex>
#include <string>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <corolla/core/detail/loop_anchor.hpp>
#include <corolla/net/errors.hpp>
#include <corolla/core/detail/loop_access.hpp>

namespace corolla::net {

namespace {

std::exception_ptr closed_while_waiting() {
    return std::make_exception_ptr(socket_closed_error("the socket was closed while this operation waited"));
}

void check(int rc, const char* what) {
    if (rc < 0) throw_os_error(errno, what);
}

}  // namespace

socket::socket(int family, int type, int protocol) {
    fd_ = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd_ < 0) throw_os_error(errno, "socket");
}

socket socket::adopt(int fd) {
    if (fd < 0) throw bad_fd_error(fd, "negative file descriptor");
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0) throw bad_fd_error(fd, "not an open file descriptor");
    if (!(fl & O_NONBLOCK) && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) throw_os_error(errno, "fcntl(O_NONBLOCK)");
    return socket(fd);
}

std::pair<socket, socket> socket::pair(int type) {
    int fds[2];
    check(::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), "socketpair");
    return {socket(fds[0]), socket(fds[1])};
}

socket::socket(socket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), loop_(std::exchange(o.loop_, nullptr)), anchor_(std::move(o.anchor_)) {}

socket& socket::operator=(socket&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
        loop_ = std::exchange(o.loop_, nullptr);
        anchor_ = std::move(o.anchor_);
    }
    return *this;
}

void socket::forget_loop() noexcept {
    if (!loop_) return;
    {
        std::lock_guard lock(anchor_->mutex);
        if (anchor_->loop == loop_) corolla::detail::loop_access::release_fd(*loop_, fd_, &closed_while_waiting);
    }
    loop_ = nullptr;
    anchor_.reset();
}

void socket::close() noexcept {
    if (fd_ < 0) return;
    forget_loop();
    ::close(fd_);  // on Linux the fd is released even when close reports EINTR
    fd_ = -1;
}

int socket::release() noexcept {
    forget_loop();
    return std::exchange(fd_, -1);
}

void socket::attach_first(event_loop& loop, const char* what) {
    if (loop_) throw invalid_state_error(std::string(what) + ": the socket is in use by another event loop");
    anchor_ = corolla::detail::loop_access::anchor(loop);
    loop_ = &loop;
}

void socket::throw_closed(const char* what) { throw socket_closed_error(std::string(what) + ": the socket is closed"); }

void socket::bind(const address& a) {
    if (fd_ < 0) throw_closed("bind");
    if (::bind(fd_, a.native(), a.size()) < 0) throw_os_error(errno, "bind " + a.to_string());
}

void socket::listen(int backlog) {
    if (fd_ < 0) throw_closed("listen");
    check(::listen(fd_, backlog), "listen");
}

void socket::shutdown(int how) {
    if (fd_ < 0) throw_closed("shutdown");
    check(::shutdown(fd_, how), "shutdown");
}

address socket::local_address() const {
    if (fd_ < 0) throw_closed("local_address");
    address a;
    socklen_t n = address::capacity();
    check(::getsockname(fd_, a.native(), &n), "getsockname");
    a.set_size(n);
    return a;
}

address socket::peer_address() const {
    if (fd_ < 0) throw_closed("peer_address");
    address a;
    socklen_t n = address::capacity();
    check(::getpeername(fd_, a.native(), &n), "getpeername");
    a.set_size(n);
    return a;
}

int socket::family() const { return get_option(SOL_SOCKET, SO_DOMAIN); }
int socket::type() const { return get_option(SOL_SOCKET, SO_TYPE); }

void socket::set_option(int level, int name, int value) {
    if (fd_ < 0) throw_closed("setsockopt");
    check(::setsockopt(fd_, level, name, &value, sizeof value), "setsockopt");
}

int socket::get_option(int level, int name) const {
    if (fd_ < 0) throw_closed("getsockopt");
    int v = 0;
    socklen_t n = sizeof v;
    check(::getsockopt(fd_, level, name, &v, &n), "getsockopt");
    return v;
}

void socket::set_nodelay(bool on) { set_option(IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); }
void socket::set_reuse_address(bool on) { set_option(SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0); }
void socket::set_reuse_port(bool on) { set_option(SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0); }
int socket::take_error() { return get_option(SOL_SOCKET, SO_ERROR); }

}  // namespace corolla::net
