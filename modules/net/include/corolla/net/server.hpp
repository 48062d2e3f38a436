// Stream servers (asyncio.start_server / start_unix_server): every accepted connection
// runs the handler as its own task, with a reader and a writer. The handler is task code
// of either execution style, started through core/task_launcher.hpp by the adapter the
// caller included for it:
//
//     auto srv = net::start_server(loop, [](net::stream_reader r, net::stream_writer w) {
//         while (auto line = corolla::await(r.readline()); !line.empty()) w.write(line);
//         w.close();
//     }, "127.0.0.1", 8080);
//     corolla::await(srv.serve_forever());
//
// The handler object is kept by the server: keep the server alive until wait_closed()
// completes.
//
// Accepting never busy-spins: when accept fails for lack of fds or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM) the listener pauses for accept_retry_delay, logs a warning, and then
// accepts again; the waiting clients stay queued in the backlog.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/core/task_launcher.hpp>
#include <corolla/net/address.hpp>
#include <corolla/net/streams.hpp>

namespace corolla::net {

struct server_options {
    /// listen(2) backlog (asyncio's default is 100).
    int backlog = 128;
    /// SO_REUSEADDR (on by default, as asyncio on Unix).
    bool reuse_address = true;
    /// SO_REUSEPORT: several servers (processes or loops) share the port.
    bool reuse_port = false;
    /// For each connection's streams (TCP_NODELAY is on by default there).
    stream_options stream{};
    /// How long accepting pauses after EMFILE / ENFILE / ENOBUFS / ENOMEM.
    duration accept_retry_delay = std::chrono::milliseconds(100);
};

/// Starts a connection's handler and returns its task.
using connection_starter = std::function<future<void>(stream_reader, stream_writer)>;

namespace detail {
class server_state;
}

/// Waits on a server: serve_forever (until close; cancelling it closes the server) or
/// wait_closed (until closed and every connection's handler finished).
class server_wait_op : public corolla::operation_base {
public:
    using result_type = void;
    enum class kind : unsigned char { forever, closed };
    server_wait_op(std::shared_ptr<detail::server_state> s, kind k) noexcept : s_(std::move(s)), kind_(k) {}
    server_wait_op(server_wait_op&&) noexcept = default;
    ~server_wait_op();
    corolla::detail::future_base* start(event_loop& loop);
    void finish(std::exception_ptr injected);

private:
    std::shared_ptr<detail::server_state> s_;
    kind kind_;
    corolla::detail::intrusive_ptr<corolla::detail::waiter> w_;
};

class server {
public:
    server() = default;
    explicit server(std::shared_ptr<detail::server_state> s) noexcept : s_(std::move(s)) {}
    server(server&&) noexcept = default;
    server& operator=(server&&) noexcept = default;
    /// Closes the server (connections go on).
    ~server();

    /// The bound addresses, one per listening socket.
    std::vector<address> addresses() const;
    /// The port of the first TCP listener (useful after binding port 0).
    int port() const;
    bool is_serving() const noexcept;
    /// Connections whose handler has not finished yet.
    std::size_t active_connections() const noexcept;
    /// Stops accepting and closes the listening sockets; running handlers go on.
    /// Idempotent.
    void close();
    [[nodiscard]] server_wait_op serve_forever();
    [[nodiscard]] server_wait_op wait_closed();

private:
    std::shared_ptr<detail::server_state> s_;
};

namespace detail {

server start_tcp_server(event_loop& loop, connection_starter start, const std::string& host, int port,
                        const server_options& options);
server start_unix_server(event_loop& loop, connection_starter start, const std::string& path,
                         const server_options& options);

/// Wraps a handler in a starter that runs it as a task of the execution style its code
/// is written in (core/task_launcher.hpp; the adapter for it must be included).
template <class Handler>
connection_starter make_starter(event_loop& loop, Handler handler) {
    return [&loop, h = std::move(handler)](stream_reader r, stream_writer w) mutable -> future<void> {
        return launch_task(loop, h, std::move(r), std::move(w));
    };
}

}  // namespace detail

/// Listens on host:port (numeric, "localhost" for both loopbacks, "" for every IPv4
/// interface; resolve() names first). Throws os_error (EADDRINUSE, …) or address_error.
template <class Handler>
server start_server(event_loop& loop, Handler handler, const std::string& host, int port,
                    const server_options& options = {}) {
    return detail::start_tcp_server(loop, detail::make_starter(loop, std::move(handler)), host, port, options);
}

/// Listens on a Unix path ('@' first: abstract). A stale socket file at the path is
/// replaced; the file is removed when the server closes.
template <class Handler>
server start_unix_server(event_loop& loop, Handler handler, const std::string& path,
                         const server_options& options = {}) {
    return detail::start_unix_server(loop, detail::make_starter(loop, std::move(handler)), path, options);
}

}  // namespace corolla::net
