#include <corolla/net/sock_ops.hpp>

#include <cerrno>

#include <sys/socket.h>
#include <unistd.h>

#include <corolla/net/errors.hpp>
#include <corolla/core/detail/loop_access.hpp>

namespace corolla::net {

namespace detail {

future_base* io_op::submit(event_loop& loop) {
    sock_->attach(loop, what_);
    args_.fd = sock_->fileno();
    // A zero-length receive has nothing to wait for (asyncio returns b'' at once); on Linux
    // recv(2) of 0 bytes with no data says EAGAIN, and io_uring would park it until data
    // arrives. The socket is still checked (open, on this loop) above.
    if (args_.len == 0 && args_.kind == io_kind::recv) {
        args_.res = 0;
        args_.err = 0;
        return nullptr;
    }
    if (corolla::detail::loop_access::try_io(loop, args_)) return nullptr;
    req_ = intrusive_ptr<io_request>(new io_request(loop, args_));
    corolla::detail::loop_access::submit_io(loop, *req_);
    return req_.get();
}

void io_op::settle(const std::exception_ptr& injected) {
    if (req_) {
        req_->value();  // throws cancelled_error, or socket_closed_error when closed meanwhile
        args_ = req_->args;
        // Cancelled while the kernel performed it, but the operation finished first.
        if (req_->cancel_requested && !injected && args_.err == 0) corolla::detail::defer_cancel(req_->cancel_message);
        req_.reset();
    }
    if (args_.err != 0) {
        if (injected) std::rethrow_exception(injected);
        throw_os_error(args_.err, what_);
    }
    corolla::detail::defer_cancel(injected);
}

}  // namespace detail

using corolla::detail::future_base;
using corolla::detail::io_kind;

// --- receive ---------------------------------------------------------------------------

recv_into_op::recv_into_op(socket& s, std::span<std::byte> buf, int flags) noexcept
    : io_op(s, io_kind::recv, "sock_recv_into"), buf_(buf) {
    args_.flags = flags;
}
future_base* recv_into_op::start(event_loop& loop) {
    args_.buf = buf_.data();
    args_.len = buf_.size();
    return submit(loop);
}
std::size_t recv_into_op::finish(std::exception_ptr injected) {
    settle(injected);
    return static_cast<std::size_t>(args_.res);
}

recv_op::recv_op(socket& s, std::size_t max, int flags) : io_op(s, io_kind::recv, "sock_recv") {
    data_.resize(max);
    args_.flags = flags;
}
future_base* recv_op::start(event_loop& loop) {
    args_.buf = data_.data();
    args_.len = data_.size();
    return submit(loop);
}
std::string recv_op::finish(std::exception_ptr injected) {
    settle(injected);
    data_.resize(static_cast<std::size_t>(args_.res));
    return std::move(data_);
}

// --- send ------------------------------------------------------------------------------

send_op::send_op(socket& s, std::string_view data, int flags) noexcept
    : io_op(s, io_kind::send, "sock_send"), data_(data) {
    args_.flags = flags;
}
future_base* send_op::start(event_loop& loop) {
    args_.buf = const_cast<char*>(data_.data());
    args_.len = data_.size();
    return submit(loop);
}
std::size_t send_op::finish(std::exception_ptr injected) {
    settle(injected);
    return static_cast<std::size_t>(args_.res);
}

sendall_op::sendall_op(socket& s, std::string_view data, int flags) noexcept
    : io_op(s, io_kind::send_all, "sock_sendall"), data_(data) {
    args_.flags = flags;
}
sendall_op::sendall_op(socket& s, std::string&& data, int flags) noexcept
    : io_op(s, io_kind::send_all, "sock_sendall"), owned_(std::move(data)), owns_(true) {
    args_.flags = flags;
}
sendall_op::sendall_op(sendall_op&& o) noexcept
    : io_op(std::move(o)), owned_(std::move(o.owned_)), data_(o.data_), owns_(o.owns_) {}
future_base* sendall_op::start(event_loop& loop) {
    const std::string_view d = owns_ ? std::string_view(owned_) : data_;
    args_.buf = const_cast<char*>(d.data());
    args_.len = d.size();
    args_.res = 0;
    return submit(loop);
}
void sendall_op::finish(std::exception_ptr injected) { settle(injected); }

// --- connections -----------------------------------------------------------------------

accept_op::accept_op(socket& s) noexcept : io_op(s, io_kind::accept, "sock_accept") {}
accept_op::~accept_op() {
    if (!req_) return;
    req_->abandon();
    if (req_->status() == future_status::done && !req_->has_exception() && req_->args.err == 0 && req_->args.res >= 0)
        ::close(static_cast<int>(req_->args.res));
    req_.reset();
}
future_base* accept_op::start(event_loop& loop) {
    args_.addr = peer_.native();
    args_.addrlen = address::capacity();
    return submit(loop);
}
accepted accept_op::finish(std::exception_ptr injected) {
    settle(injected);
    peer_.set_size(static_cast<socklen_t>(args_.addrlen));
    return accepted{socket::from_nonblocking_fd(static_cast<int>(args_.res)), peer_};
}

connect_op::connect_op(socket& s, address to) noexcept
    : io_op(s, io_kind::connect, "sock_connect"), to_(std::move(to)) {}
future_base* connect_op::start(event_loop& loop) {
    if (to_.empty()) {
        sock_->attach(loop, what_);
        throw address_error("sock_connect: no address given");
    }
    args_.addr = to_.native();
    args_.addrlen = to_.size();
    return submit(loop);
}
void connect_op::finish(std::exception_ptr injected) {
    try {
        settle(injected);
    } catch (const os_error& e) {
        throw_os_error(e.code(), "connect to " + to_.to_string());
    }
}

// --- datagrams -------------------------------------------------------------------------

recvfrom_op::recvfrom_op(socket& s, std::size_t max, int flags) : io_op(s, io_kind::recvfrom, "sock_recvfrom") {
    data_.resize(max);
    args_.flags = flags;
}
future_base* recvfrom_op::start(event_loop& loop) {
    args_.buf = data_.data();
    args_.len = data_.size();
    args_.addr = from_.native();
    args_.addrlen = address::capacity();
    return submit(loop);
}
datagram recvfrom_op::finish(std::exception_ptr injected) {
    settle(injected);
    data_.resize(static_cast<std::size_t>(args_.res));
    from_.set_size(static_cast<socklen_t>(args_.addrlen));
    return datagram{std::move(data_), from_};
}

recvfrom_into_op::recvfrom_into_op(socket& s, std::span<std::byte> buf, int flags) noexcept
    : io_op(s, io_kind::recvfrom, "sock_recvfrom_into"), buf_(buf) {
    args_.flags = flags;
}
future_base* recvfrom_into_op::start(event_loop& loop) {
    args_.buf = buf_.data();
    args_.len = buf_.size();
    args_.addr = from_.native();
    args_.addrlen = address::capacity();
    return submit(loop);
}
recvfrom_into_op::result_type recvfrom_into_op::finish(std::exception_ptr injected) {
    settle(injected);
    from_.set_size(static_cast<socklen_t>(args_.addrlen));
    return {static_cast<std::size_t>(args_.res), from_};
}

sendto_op::sendto_op(socket& s, std::string_view data, address to, int flags) noexcept
    : io_op(s, io_kind::sendto, "sock_sendto"), data_(data), to_(std::move(to)) {
    args_.flags = flags;
}
future_base* sendto_op::start(event_loop& loop) {
    args_.buf = const_cast<char*>(data_.data());
    args_.len = data_.size();
    args_.addr = to_.native();
    args_.addrlen = to_.size();
    return submit(loop);
}
std::size_t sendto_op::finish(std::exception_ptr injected) {
    settle(injected);
    return static_cast<std::size_t>(args_.res);
}

}  // namespace corolla::net
