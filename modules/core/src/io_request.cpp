// The readiness path of the completion-I/O interface: the syscalls an io_request stands
// for, performed when the loop finds the fd ready (or tried at once by try_io).
#include <corolla/core/detail/io_request.hpp>

#include <cerrno>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/detail/loop_access.hpp>

namespace corolla::detail {

namespace {

bool would_block(int e) noexcept { return e == EAGAIN || e == EWOULDBLOCK; }

/// Fails `a` with the socket error the loop holds for its fd, if it holds one.
bool take_socket_error(io_args& a, int& socket_error) noexcept {
    if (socket_error == 0) return false;
    a.err = std::exchange(socket_error, 0);
    return true;
}

/// A connect whose handshake is under way, called when the socket turned writable. The
/// outcome is SO_ERROR, as asyncio and libuv read it. A second connect() reports a failure
/// only while the socket still holds the error: once a kqueue emulation has read SO_ERROR
/// (the error then comes with the event, in socket_error) it says ECONNABORTED.
bool finish_connect(io_args& a, int& socket_error) noexcept {
    int e = 0;
    socklen_t elen = sizeof e;
    if (::getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0) e = errno;
    if (e == 0 && socket_error != 0) e = std::exchange(socket_error, 0);
    if (e == 0) {
        // No error anywhere. Connected, unless the report did not end the handshake or a
        // failure's error went where nobody kept it: a second connect() tells those apart.
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        if (::getpeername(a.fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) {
            a.connecting = false;
            a.res = 0;
            a.err = 0;
            return true;
        }
        e = errno;
        if (e == ENOTCONN) {
            const int rc = ::connect(a.fd, static_cast<const sockaddr*>(a.addr), static_cast<socklen_t>(a.addrlen));
            e = rc == 0 ? 0 : errno;
            if (e == EINPROGRESS || e == EALREADY || e == EINTR) return false;
            if (e == EISCONN) e = 0;
        }
    }
    a.connecting = false;
    a.res = 0;
    a.err = e;
    return true;
}

}  // namespace

bool perform_io(io_args& a, int& socket_error) noexcept {
    for (;;) {
        ssize_t n = -1;
        auto* addr = static_cast<sockaddr*>(a.addr);
        socklen_t len = a.addrlen;
        switch (a.kind) {
        case io_kind::recv: n = ::recv(a.fd, a.buf, a.len, a.flags); break;
        case io_kind::send: n = ::send(a.fd, a.buf, a.len, a.flags | MSG_NOSIGNAL); break;
        case io_kind::send_all: {
            auto* p = static_cast<const char*>(a.buf);
            while (static_cast<std::size_t>(a.res) < a.len) {
                n = ::send(a.fd, p + a.res, a.len - static_cast<std::size_t>(a.res), a.flags | MSG_NOSIGNAL);
                if (n < 0) break;
                a.res += n;
            }
            if (static_cast<std::size_t>(a.res) >= a.len) {
                a.err = 0;
                return true;
            }
            break;  // n < 0: errno says why
        }
        case io_kind::accept:
            n = ::accept4(a.fd, addr, addr ? &len : nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (n >= 0) a.addrlen = len;
            break;
        case io_kind::connect:
            if (a.connecting) return finish_connect(a, socket_error);
            // 0 when done at once (Unix sockets), EINPROGRESS / EALREADY (or EINTR, after
            // which the handshake goes on) when it started, EAGAIN while a Unix listener's
            // backlog is full (then connect() is tried again), else the error.
            if (::connect(a.fd, addr, static_cast<socklen_t>(a.addrlen)) == 0 || errno == EISCONN) {
                a.res = 0;
                a.err = 0;
                return true;
            }
            if (errno == EINPROGRESS || errno == EALREADY || errno == EINTR) {
                a.connecting = true;
                return false;
            }
            break;
        case io_kind::recvfrom:
            n = ::recvfrom(a.fd, a.buf, a.len, a.flags, addr, addr ? &len : nullptr);
            if (n >= 0) a.addrlen = len;
            break;
        case io_kind::sendto:
            n = ::sendto(a.fd, a.buf, a.len, a.flags | MSG_NOSIGNAL, addr, static_cast<socklen_t>(a.addrlen));
            break;
        case io_kind::read: n = ::read(a.fd, a.buf, a.len); break;
        case io_kind::write: n = ::write(a.fd, a.buf, a.len); break;
        case io_kind::pread:
            n = a.offset < 0 ? ::read(a.fd, a.buf, a.len) : ::pread(a.fd, a.buf, a.len, static_cast<off_t>(a.offset));
            break;
        case io_kind::pwrite:
            n = a.offset < 0 ? ::write(a.fd, a.buf, a.len) : ::pwrite(a.fd, a.buf, a.len, static_cast<off_t>(a.offset));
            break;
        case io_kind::fsync: n = a.flags == 1 ? ::fdatasync(a.fd) : ::fsync(a.fd); break;
        }
        if (n >= 0) {
            // EOF where the socket failed: the error the kernel would have returned first.
            if (n == 0 && a.len > 0 && (a.kind == io_kind::recv || a.kind == io_kind::read) &&
                take_socket_error(a, socket_error))
                return true;
            a.res = n;
            a.err = 0;
            return true;
        }
        const int e = errno;
        if (e == EINTR) continue;
        if (would_block(e)) return a.reads() && a.kind != io_kind::accept && take_socket_error(a, socket_error);
        if (e == EPIPE && take_socket_error(a, socket_error)) return true;
        a.err = e;
        return true;
    }
}

bool io_request::cancel(std::string message) {
    if (done()) return false;
    if (in_kernel) {
        if (!cancel_requested) {
            cancel_requested = true;
            cancel_message = std::move(message);
            loop_access::cancel_io(loop(), *this);
        }
        return true;
    }
    loop_access::withdraw_io(loop(), *this);
    return cancel_now(std::move(message));
}

void io_request::abandon() noexcept {
    if (done()) return;
    if (in_kernel) {
        cancel_requested = true;
        loop_access::cancel_io_and_wait(loop(), *this);  // completes it
        if (!done()) abort("operation abandoned");
        return;
    }
    loop_access::withdraw_io(loop(), *this);
    abort("operation abandoned");
}

}  // namespace corolla::detail
