// The typed errors of the net module (asyncio's OSError family, IncompleteReadError and
// LimitOverrunError). Every socket failure is one of these, never a bare errno.
#pragma once

#include <cstddef>
#include <string>

#include <corolla/core/errors.hpp>

namespace corolla::net {

/// A socket call failed (asyncio's OSError): code() is the errno, what() names the call.
class os_error : public corolla::error {
public:
    os_error(int code, const std::string& what);
    int code() const noexcept { return code_; }

private:
    int code_;
};

/// The connection failed or was lost (ConnectionError).
class connection_error : public os_error {
public:
    using os_error::os_error;
};
/// ECONNRESET: the peer reset the connection.
class connection_reset_error : public connection_error {
public:
    using connection_error::connection_error;
};
/// ECONNREFUSED: nothing listens at the address.
class connection_refused_error : public connection_error {
public:
    using connection_error::connection_error;
};
/// ECONNABORTED: the connection was aborted before it was accepted.
class connection_aborted_error : public connection_error {
public:
    using connection_error::connection_error;
};
/// EPIPE / ESHUTDOWN: writing to a connection the peer closed (the process never gets
/// SIGPIPE: corolla sends with MSG_NOSIGNAL).
class broken_pipe_error : public connection_error {
public:
    using connection_error::connection_error;
};

/// A malformed address or port, or a name that did not resolve (socket.gaierror).
/// gai_code() is getaddrinfo's code (EAI_*), 0 when the input itself was bad.
class address_error : public corolla::error {
public:
    explicit address_error(const std::string& what, int gai_code = 0) : error(what), gai_code_(gai_code) {}
    int gai_code() const noexcept { return gai_code_; }

private:
    int gai_code_;
};

/// The socket is closed: used after close(), or closed while this operation waited.
class socket_closed_error : public corolla::error {
public:
    explicit socket_closed_error(const std::string& what = "the socket is closed") : error(what) {}
};

/// readexactly / readuntil hit EOF first (asyncio.IncompleteReadError). partial() holds
/// the bytes read (they are consumed); expected() is what was asked for (0: a separator).
class incomplete_read_error : public corolla::error {
public:
    incomplete_read_error(std::string partial, std::size_t expected);
    const std::string& partial() const noexcept { return partial_; }
    std::size_t expected() const noexcept { return expected_; }

private:
    std::string partial_;
    std::size_t expected_;
};

/// readuntil / readline found no separator within the reader's limit
/// (asyncio.LimitOverrunError). Nothing is consumed: the data stays in the buffer.
/// consumed() is how many bytes were examined.
class limit_overrun_error : public corolla::error {
public:
    limit_overrun_error(const std::string& what, std::size_t consumed) : error(what), consumed_(consumed) {}
    std::size_t consumed() const noexcept { return consumed_; }

private:
    std::size_t consumed_;
};

/// Throws the os_error subclass that fits `code` (an errno) for the call `what`.
[[noreturn]] void throw_os_error(int code, const std::string& what);

}  // namespace corolla::net
