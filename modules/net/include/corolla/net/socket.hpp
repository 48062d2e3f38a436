// A non-blocking socket owned by value (Python's socket object, as asyncio's sock_* calls
// take it). It binds to the event loop of its first operation; closing it fails the
// operations still waiting on it with socket_closed_error and unregisters it from that
// loop. Use a socket from its loop's thread only.
#pragma once

#include <memory>
#include <utility>

#include <corolla/core/event_loop.hpp>
#include <corolla/net/address.hpp>

namespace corolla::detail {
struct loop_anchor;
}

namespace corolla::net {

class socket {
public:
    /// No socket (is_open() is false).
    socket() noexcept = default;
    /// A new socket, non-blocking and close-on-exec. Throws os_error (EMFILE, EAFNOSUPPORT…).
    socket(int family, int type, int protocol = 0);
    /// Takes ownership of `fd` and makes it non-blocking. Throws bad_fd_error for a
    /// negative or closed fd.
    static socket adopt(int fd);
    /// Internal: owns `fd`, known to be non-blocking already (accept4 made it so).
    static socket from_nonblocking_fd(int fd) noexcept { return socket(fd); }
    /// A connected pair (socketpair), AF_UNIX stream by default.
    static std::pair<socket, socket> pair(int type = SOCK_STREAM);

    socket(socket&& o) noexcept;
    socket& operator=(socket&& o) noexcept;
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    ~socket() { close(); }

    bool is_open() const noexcept { return fd_ >= 0; }
    int fileno() const noexcept { return fd_; }
    /// Closes the fd. Operations waiting on it fail with socket_closed_error; the loop
    /// forgets the fd. Idempotent, never throws.
    void close() noexcept;
    /// Gives up ownership without closing (after forgetting the loop registration).
    int release() noexcept;

    void bind(const address& a);
    /// Starts listening; `backlog` as for listen(2) (asyncio's default is 100).
    void listen(int backlog = 128);
    void shutdown(int how);
    address local_address() const;
    address peer_address() const;
    int family() const;
    int type() const;

    void set_option(int level, int name, int value);
    int get_option(int level, int name) const;
    void set_nodelay(bool on);
    void set_reuse_address(bool on);
    void set_reuse_port(bool on);
    /// The pending error (SO_ERROR), cleared by reading it.
    int take_error();

    /// The loop this socket is bound to (null before its first operation).
    event_loop* loop() const noexcept { return loop_; }
    /// Internal (operations): binds to `loop`, or throws invalid_state_error if bound to
    /// another; throws socket_closed_error when closed.
    event_loop& attach(event_loop& loop, const char* what) {
        if (fd_ < 0) throw_closed(what);
        if (loop_ != &loop) attach_first(loop, what);
        return loop;
    }

private:
    explicit socket(int fd) noexcept : fd_(fd) {}
    void forget_loop() noexcept;
    void attach_first(event_loop& loop, const char* what);
    [[noreturn]] static void throw_closed(const char* what);

    int fd_ = -1;
    event_loop* loop_ = nullptr;
    std::shared_ptr<detail::loop_anchor> anchor_;  // tells whether loop_ still exists
};

}  // namespace corolla::net
