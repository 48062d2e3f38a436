// asyncio's low-level socket calls (loop.sock_recv, sock_sendall, sock_accept, ...) as
// operations: each is awaited the same way from both styles,
//
//     std::size_t n = co_await net::sock_recv_into(s, buf);
//     std::size_t n = corolla::await(net::sock_recv_into(s, buf));  // stackful code
//
// and started as a future with as_future(op) (wait_for, gather). One code path for every
// backend: the call is tried at once; if it would block, it waits as an I/O request that
// the loop performs when the fd is ready (or that a completion backend performs natively).
//
// Cancellation loses and duplicates nothing: a cancelled wait transferred nothing; an
// operation that completed before the cancellation reached it returns its result (the
// bytes, the accepted connection) and the cancellation is delivered at the task's next
// suspension point. The one exception is sock_sendall: bytes it already sent before a
// cancellation stay sent (use sock_send to know exactly how many went out).
//
// Buffers (spans, string_views) must stay valid until the operation completes; the
// overloads taking std::string&& own their data.
#pragma once

#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <corolla/core/detail/io_request.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/net/address.hpp>
#include <corolla/net/socket.hpp>

namespace corolla::net {

/// What sock_accept returns: the connection (non-blocking) and the peer's address.
struct accepted {
    socket sock;
    address peer;
};
/// What sock_recvfrom returns.
struct datagram {
    std::string data;
    address from;
};

namespace detail {

using corolla::detail::future_base;
using corolla::detail::intrusive_ptr;
using corolla::detail::io_args;
using corolla::detail::io_kind;
using corolla::detail::io_request;

/// The shared part of the socket operations: try, else submit and wait.
class io_op : public corolla::operation_base {
public:
    io_op(socket& s, io_kind kind, const char* what) noexcept : sock_(&s), what_(what) { args_.kind = kind; }
    io_op(io_op&&) noexcept = default;
    io_op& operator=(io_op&&) = delete;
    ~io_op() {
        if (req_) req_->abandon();  // waits for the kernel to let go of the buffers
    }

protected:
    /// Starts the prepared args_ (fd, buffers) on `loop`; null when done at once.
    future_base* submit(event_loop& loop);
    /// Brings the outcome into args_: throws a cancellation or a failure of the wait
    /// (socket closed); with an error it throws `injected` or the os_error. With a result
    /// and `injected`, the cancellation is deferred to the next suspension point.
    void settle(const std::exception_ptr& injected);

    socket* sock_;
    const char* what_;
    io_args args_{};
    intrusive_ptr<io_request> req_;
};

}  // namespace detail

/// sock_recv_into: receives into `buf`; returns the count, 0 at EOF.
class recv_into_op : public detail::io_op {
public:
    using result_type = std::size_t;
    recv_into_op(socket& s, std::span<std::byte> buf, int flags = 0) noexcept;
    corolla::detail::future_base* start(event_loop& loop);
    std::size_t finish(std::exception_ptr injected);

private:
    std::span<std::byte> buf_;
};

/// sock_recv: up to `max` bytes as a string; "" at EOF.
class recv_op : public detail::io_op {
public:
    using result_type = std::string;
    recv_op(socket& s, std::size_t max, int flags = 0);
    corolla::detail::future_base* start(event_loop& loop);
    std::string finish(std::exception_ptr injected);

private:
    std::string data_;
};

/// sock_send: one send; returns how many bytes went out (maybe fewer than given).
class send_op : public detail::io_op {
public:
    using result_type = std::size_t;
    send_op(socket& s, std::string_view data, int flags = 0) noexcept;
    corolla::detail::future_base* start(event_loop& loop);
    std::size_t finish(std::exception_ptr injected);

private:
    std::string_view data_;
};

/// sock_sendall: sends everything, waiting for buffer space as often as needed.
class sendall_op : public detail::io_op {
public:
    using result_type = void;
    sendall_op(socket& s, std::string_view data, int flags = 0) noexcept;
    sendall_op(socket& s, std::string&& data, int flags = 0) noexcept;
    sendall_op(sendall_op&& o) noexcept;
    corolla::detail::future_base* start(event_loop& loop);
    void finish(std::exception_ptr injected);

private:
    std::string owned_;
    std::string_view data_;
    bool owns_ = false;
};

/// sock_accept on a listening socket.
class accept_op : public detail::io_op {
public:
    using result_type = accepted;
    explicit accept_op(socket& s) noexcept;
    accept_op(accept_op&&) noexcept = default;
    /// An accept that completed but was never finished (its task was destroyed before it
    /// resumed) closes the connection it got, so no fd leaks.
    ~accept_op();
    corolla::detail::future_base* start(event_loop& loop);
    accepted finish(std::exception_ptr injected);

private:
    address peer_;
};

/// sock_connect to `to` (numeric; resolve names first).
class connect_op : public detail::io_op {
public:
    using result_type = void;
    connect_op(socket& s, address to) noexcept;
    corolla::detail::future_base* start(event_loop& loop);
    void finish(std::exception_ptr injected);

private:
    address to_;
};

/// sock_recvfrom: one datagram of at most `max` bytes and its sender.
class recvfrom_op : public detail::io_op {
public:
    using result_type = datagram;
    recvfrom_op(socket& s, std::size_t max, int flags = 0);
    corolla::detail::future_base* start(event_loop& loop);
    datagram finish(std::exception_ptr injected);

private:
    std::string data_;
    address from_;
};

/// sock_recvfrom_into: one datagram into `buf`; returns its size and sender.
class recvfrom_into_op : public detail::io_op {
public:
    using result_type = std::pair<std::size_t, address>;
    recvfrom_into_op(socket& s, std::span<std::byte> buf, int flags = 0) noexcept;
    corolla::detail::future_base* start(event_loop& loop);
    result_type finish(std::exception_ptr injected);

private:
    std::span<std::byte> buf_;
    address from_;
};

/// sock_sendto: one datagram to `to`; returns the bytes sent.
class sendto_op : public detail::io_op {
public:
    using result_type = std::size_t;
    sendto_op(socket& s, std::string_view data, address to, int flags = 0) noexcept;
    corolla::detail::future_base* start(event_loop& loop);
    std::size_t finish(std::exception_ptr injected);

private:
    std::string_view data_;
    address to_;
};

inline recv_into_op sock_recv_into(socket& s, std::span<std::byte> buf, int flags = 0) noexcept {
    return recv_into_op(s, buf, flags);
}
inline recv_op sock_recv(socket& s, std::size_t max, int flags = 0) { return recv_op(s, max, flags); }
inline send_op sock_send(socket& s, std::string_view data, int flags = 0) noexcept { return send_op(s, data, flags); }
inline sendall_op sock_sendall(socket& s, std::string_view data, int flags = 0) noexcept {
    return sendall_op(s, data, flags);
}
inline sendall_op sock_sendall(socket& s, std::string&& data, int flags = 0) noexcept {
    return sendall_op(s, std::move(data), flags);
}
inline accept_op sock_accept(socket& s) noexcept { return accept_op(s); }
inline connect_op sock_connect(socket& s, address to) noexcept { return connect_op(s, std::move(to)); }
inline recvfrom_op sock_recvfrom(socket& s, std::size_t max, int flags = 0) { return recvfrom_op(s, max, flags); }
inline recvfrom_into_op sock_recvfrom_into(socket& s, std::span<std::byte> buf, int flags = 0) noexcept {
    return recvfrom_into_op(s, buf, flags);
}
inline sendto_op sock_sendto(socket& s, std::string_view data, address to, int flags = 0) noexcept {
    return sendto_op(s, data, std::move(to), flags);
}

}  // namespace corolla::net
