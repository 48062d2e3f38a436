// I/O operations submitted to an event loop (the completion-I/O interface of DESIGN §4).
// An io_request describes one socket or file syscall and owns nothing but its arguments;
// the buffers belong to the operation that submitted it, which keeps them alive until the
// request is done. On readiness backends the loop performs the syscall itself when the fd
// becomes ready (the "try, wait for readiness, retry" fallback); a completion backend may
// perform it natively. Either way the caller sees one future completing with res / err.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include <corolla/core/future.hpp>

namespace corolla::detail {

enum class io_kind : std::uint8_t {
    recv,      ///< recv(fd, buf, len, flags): res = bytes (0 at EOF)
    send,      ///< send(fd, buf, len, flags | MSG_NOSIGNAL): res = bytes, maybe fewer than len
    send_all,  ///< like send, repeated until len bytes are sent; res = len
    accept,    ///< accept4 non-blocking and close-on-exec: res = new fd; addr/addrlen = peer
    connect,   ///< connect to addr, then wait for the handshake (SO_ERROR): res = 0
    recvfrom,  ///< recvfrom: res = bytes; addr/addrlen = sender
    sendto,    ///< sendto addr (MSG_NOSIGNAL): res = bytes
    read,      ///< read(fd, buf, len): res = bytes
    write,     ///< write(fd, buf, len): res = bytes
    // Regular files (never ready-polled: the fs module submits these only to a completion
    // backend that performs them, see completion_io::performs, and uses a thread pool
    // elsewhere).
    pread,   ///< pread(fd, buf, len, offset): res = bytes; offset -1: at the file position, advancing it
    pwrite,  ///< pwrite(fd, buf, len, offset): res = bytes; offset -1: at the file position, advancing it
    fsync,   ///< fsync(fd), or fdatasync(fd) when flags is 1: res = 0
};

/// The arguments and outcome of one syscall. `addr` points to a sockaddr buffer of
/// `addrlen` bytes (in: the address to use; out: the address filled in).
struct io_args {
    io_kind kind = io_kind::recv;
    int fd = -1;
    void* buf = nullptr;
    std::size_t len = 0;
    int flags = 0;
    void* addr = nullptr;
    unsigned addrlen = 0;
    std::int64_t offset = -1;  ///< pread / pwrite: the file offset, -1 for the file position
    long res = 0;              ///< result when done without error (for send_all: bytes sent so far)
    int err = 0;               ///< errno when it failed, else 0
    /// connect: the handshake is under way (connect() said EINPROGRESS); its outcome is
    /// read from SO_ERROR, not from a second connect().
    bool connecting = false;

    /// True for the kinds that wait for readability.
    bool reads() const noexcept {
        return kind == io_kind::recv || kind == io_kind::accept || kind == io_kind::recvfrom || kind == io_kind::read ||
               kind == io_kind::pread;
    }
};

/// Performs the syscall once (retrying EINTR). False when it would block (EAGAIN, or a
/// partial send_all, or a connect still under way); then nothing but send_all's progress
/// and connect's `connecting` has changed. True when done: res or err is set.
///
/// `socket_error` is an error the selector reported for a.fd that the socket may no longer
/// hold (see selector.hpp, "Socket errors"); 0 for none. Where the kernel would have
/// returned it — a read at EOF or finding nothing, a send refused with EPIPE, a connect
/// whose SO_ERROR reads 0 — the request fails with it instead, and it is reset to 0.
bool perform_io(io_args& a, int& socket_error) noexcept;

/// perform_io with no socket error held by the loop.
inline bool perform_io(io_args& a) noexcept {
    int none = 0;
    return perform_io(a, none);
}

/// A submitted request: a future<void> that completes when args holds the outcome.
/// Cancelling a request waiting for readiness withdraws it at once (nothing was
/// transferred); a completion backend may finish the cancel later, and the request may
/// then complete normally instead (the operation went through first).
class io_request final : public future_state<void> {
public:
    io_request(event_loop& loop, const io_args& a) noexcept : future_state<void>(loop), args(a) {}
    /// Waiting for readiness: withdraws at once and completes as cancelled. Performed by a
    /// completion backend (in_kernel): asks the kernel to cancel and stays pending until
    /// it answers; the request then completes as cancelled, or with its result if the
    /// operation finished first (cancel_requested tells the operation so).
    bool cancel(std::string message) override;
    /// For an owner going away (a destroyed task's operation): cancels and, for a request
    /// in the kernel, waits until the kernel no longer uses its buffers.
    void abandon() noexcept;
    /// Completes as cancelled without withdrawing (the loop, which already unlinked it).
    bool abort(std::string message) { return cancel_now(std::move(message)); }

    io_args args;
    /// Optional: called by the loop each time the syscall completed (res / err set),
    /// before the request completes. Returning false keeps the request waiting: the hook
    /// may point args at the next chunk (a stream filling its buffer until a line is
    /// complete, a writer sending what was queued meanwhile). Runs in the poll phase: it
    /// must not run user code, only record and complete futures.
    bool (*on_done)(io_request& r) = nullptr;
    void* context = nullptr;  ///< for on_done
    // The loop's line of requests waiting for the same fd and direction.
    io_request* prev = nullptr;
    io_request* next = nullptr;
    bool linked = false;
    bool in_kernel = false;         ///< submitted to a completion backend, not completed yet
    bool cancel_requested = false;  ///< cancel() reached it while in the kernel
    std::string cancel_message;
    std::exception_ptr failure;  ///< set when its fd was released while in the kernel

private:
    ~io_request() override = default;
};

}  // namespace corolla::detail
