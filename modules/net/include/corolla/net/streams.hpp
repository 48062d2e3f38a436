// Streams (asyncio's StreamReader / StreamWriter) over a connected socket, for both styles:
//
//     auto [r, w] = co_await net::open_connection("127.0.0.1", 8080);   // or corolla::await(...)
//     w.write("GET / HTTP/1.1\r\n\r\n");
//     co_await w.drain();
//     std::string line = co_await r.readline();
//
// The reader buffers what arrives; its reads (read, readline, readexactly, readuntil) are
// operations that complete once the buffer satisfies them, so a cancelled read consumes
// nothing: what arrived stays buffered for the next read. The writer queues what the
// socket does not take at once and sends it in the background; drain() applies
// back-pressure between the high and low water marks. Reader and writer share one
// connection; copies of either refer to the same one.
#pragma once

#include <cstddef>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <corolla/core/detail/io_request.hpp>
#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/net/address.hpp>
#include <corolla/net/socket.hpp>

namespace corolla::net {

struct stream_options {
    /// Most bytes readuntil / readline examine for a separator (asyncio's limit, 64 KiB).
    std::size_t limit = 64 * 1024;
    /// drain() waits while more than high_water bytes are queued, until at most low_water
    /// are (asyncio's defaults: 64 KiB and a quarter of it).
    std::size_t high_water = 64 * 1024;
    std::size_t low_water = 16 * 1024;
    /// TCP_NODELAY on TCP connections (asyncio sets it too).
    bool nodelay = true;
};

namespace detail {
class stream_state;
}

/// A read that completes once the buffer satisfies it (see stream_reader).
class stream_read_op : public corolla::operation_base {
public:
    using result_type = std::string;
    enum class mode : unsigned char { some, all, exactly, until, line };
    stream_read_op(std::shared_ptr<detail::stream_state> s, mode m, std::size_t n, std::string sep);
    stream_read_op(stream_read_op&&) noexcept;
    ~stream_read_op();
    corolla::detail::future_base* start(event_loop& loop);
    std::string finish(std::exception_ptr injected);

private:
    std::shared_ptr<detail::stream_state> s_;
    mode mode_;
    std::size_t n_;
    std::string sep_;
    corolla::detail::intrusive_ptr<corolla::detail::io_request> req_;
    bool active_ = false;
};

/// Waits on the connection's writer (drain) or close (wait_closed).
class stream_wait_op : public corolla::operation_base {
public:
    using result_type = void;
    enum class kind : unsigned char { drain, closed };
    stream_wait_op(std::shared_ptr<detail::stream_state> s, kind k) noexcept : s_(std::move(s)), kind_(k) {}
    stream_wait_op(stream_wait_op&&) noexcept = default;
    ~stream_wait_op();
    corolla::detail::future_base* start(event_loop& loop);
    void finish(std::exception_ptr injected);

private:
    std::shared_ptr<detail::stream_state> s_;
    kind kind_;
    corolla::detail::intrusive_ptr<corolla::detail::waiter> w_;
};

class stream_reader {
public:
    stream_reader() = default;
    explicit stream_reader(std::shared_ptr<detail::stream_state> s) noexcept : s_(std::move(s)) {}

    /// Up to n bytes, as soon as any are buffered; "" at EOF. read() (no argument) reads
    /// until EOF.
    [[nodiscard]] stream_read_op read(std::size_t n);
    [[nodiscard]] stream_read_op read();
    /// Through the next "\n". At EOF, whatever is left (maybe ""). Past the limit without a
    /// newline: limit_overrun_error, nothing consumed.
    [[nodiscard]] stream_read_op readline();
    /// Exactly n bytes; at EOF first: incomplete_read_error with the partial bytes.
    [[nodiscard]] stream_read_op readexactly(std::size_t n);
    /// Through `separator` (included). At EOF first: incomplete_read_error; no separator
    /// within the limit: limit_overrun_error, nothing consumed.
    [[nodiscard]] stream_read_op readuntil(std::string separator = "\n");
    /// True when the buffer is empty and the peer sent EOF.
    bool at_eof() const noexcept;
    std::size_t buffered() const noexcept;
    std::size_t limit() const noexcept;
    explicit operator bool() const noexcept { return static_cast<bool>(s_); }

private:
    std::shared_ptr<detail::stream_state> s_;
};

class stream_writer {
public:
    stream_writer() = default;
    explicit stream_writer(std::shared_ptr<detail::stream_state> s) noexcept : s_(std::move(s)) {}

    /// Queues `data`: sent at once if the socket takes it, else in the background. Throws
    /// the connection's error once it failed (connection_reset_error, broken_pipe_error)
    /// and socket_closed_error after close().
    void write(std::string_view data);
    void writelines(std::initializer_list<std::string_view> lines);
    /// Waits while more than high_water bytes are queued (until at most low_water are);
    /// throws the connection's error if it failed.
    [[nodiscard]] stream_wait_op drain();
    /// Half-closes (shutdown SHUT_WR) once what is queued has gone out; over a pipe,
    /// which has no half-close, closes it then.
    void write_eof();
    bool can_write_eof() const noexcept { return true; }
    /// Closes once what is queued has gone out (reads waiting fail with
    /// socket_closed_error then). Idempotent.
    void close();
    bool is_closing() const noexcept;
    /// Completes when the connection is closed.
    [[nodiscard]] stream_wait_op wait_closed();
    /// Bytes queued and not yet sent.
    std::size_t buffer_size() const noexcept;
    address peer_address() const;
    address local_address() const;
    /// The underlying socket (for options); do not read or write it directly.
    socket& get_socket() noexcept;
    explicit operator bool() const noexcept { return static_cast<bool>(s_); }

private:
    std::shared_ptr<detail::stream_state> s_;
};

/// A connection as the two halves.
struct stream_pair {
    stream_reader reader;
    stream_writer writer;
};

/// Wraps a connected socket (e.g. from sock_accept) in streams; or a pipe end taken
/// with socket::adopt (asyncio's connect_read_pipe / connect_write_pipe): it is then read
/// and written with read(2) / write(2), and the process ignores SIGPIPE from then on
/// (unless it handles it), so that a write to a pipe nobody reads is broken_pipe_error.
stream_pair open_stream(socket s, stream_options options = {});

/// Connects and returns streams (asyncio.open_connection). The host is numeric,
/// "localhost", or a name resolved off the loop thread.
class open_connection_op : public corolla::operation_base {
public:
    using result_type = stream_pair;
    open_connection_op(std::string host, int port, std::string unix_path, stream_options options);
    open_connection_op(open_connection_op&&) noexcept;
    ~open_connection_op();
    corolla::detail::future_base* start(event_loop& loop);
    stream_pair finish(std::exception_ptr injected);

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

[[nodiscard]] open_connection_op open_connection(std::string host, int port, stream_options options = {});
[[nodiscard]] open_connection_op open_unix_connection(std::string path, stream_options options = {});

}  // namespace corolla::net
