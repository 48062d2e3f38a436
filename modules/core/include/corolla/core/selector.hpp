// The multiplexer interface every backend implements, in the spirit of Python's
// selectors.BaseSelector. The event loop owns time, the ready queue and all scheduling;
// a selector only answers "which registered fds are ready?" and can be woken up.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <corolla/core/clock.hpp>

namespace corolla {

namespace detail {
class io_request;
struct io_args;
enum class io_kind : std::uint8_t;
}  // namespace detail

/// Interest and event bits. `hangup` and `error` are reported only in addition to
/// `readable`/`writable` and only where the mechanism distinguishes them (see caps()).
enum event_bits : std::uint32_t {
    readable = 1u << 0,
    writable = 1u << 1,
    hangup = 1u << 2,
    error_event = 1u << 3,
};

/// One readiness report: the token given at registration, the ready bits and, where the
/// mechanism hands it over with the event, the socket's error.
struct ready_event {
    int fd;
    std::uint64_t token;
    std::uint32_t events;
    int error = 0;  ///< the socket error (an errno) reported with the event; 0: none, or not known
};

/// What a backend can tell apart; conformance tests use this instead of backend names.
struct selector_caps {
    bool reports_hangup = false;  ///< sets `hangup` / `error_event` bits
    bool reports_error = false;   ///< fills ready_event::error
    int max_fd = -1;              ///< highest fd accepted, -1 for no limit
};

/// Optional extension of a selector: performing I/O requests natively (io_uring; shaped so
/// that an IOCP backend could implement it too). The loop uses it for every request kind
/// the backend accepts and the readiness path for the rest. Loop thread only.
///
/// - submit(r) starts r's syscall (r.args) and holds a reference to r until it completes.
///   Submissions are batched: they reach the kernel with the next select() (or earlier
///   when the queue fills). Returns false, changing nothing, for a kind it does not
///   perform. The buffers in r.args stay the caller's and must live until r completes.
/// - cancel(r) asks the kernel to stop r. r still completes later through
///   take_completed(): with err == ECANCELED, or with its result if it won the race.
/// - cancel_and_wait(r) does the same and returns only once r completed (its buffers are
///   no longer used); for a request whose owner is going away.
/// - take_completed(out) appends the requests completed by the last select() (res / err
///   set in their args), each with the reference submit() took.
/// - try_complete(a) finishes an operation at once from what the backend already holds
///   (a connection a multishot accept took in); false when it holds nothing for it.
/// - release(fd) is called when fd is about to be closed, after its requests were
///   cancelled: the backend drops what it keeps going on fd without a request (a multishot
///   accept, and the connections it took in that nobody accepted yet).
/// - performs(k) says whether submit() takes requests of kind k. Socket kinds it refuses
///   fall back to readiness; the regular-file kinds (pread, pwrite, fsync) have no
///   readiness path, so their user (the fs module) asks first and else uses a thread pool.
class completion_io {
public:
    virtual bool submit(detail::io_request& r) = 0;
    virtual void cancel(detail::io_request& r) = 0;
    virtual void cancel_and_wait(detail::io_request& r) noexcept = 0;
    virtual void take_completed(std::vector<detail::io_request*>& out) = 0;
    virtual bool try_complete(detail::io_args&) { return false; }
    virtual void release(int) noexcept {}
    virtual bool performs(detail::io_kind) const noexcept { return false; }

protected:
    ~completion_io() = default;
};

/// Contract (every backend, checked by tests/backends/conformance_test.cpp):
///
/// - Registration. `add(fd, interest, token)` watches `fd` for `interest` (a non-empty
///   mix of readable|writable). A negative or closed fd throws bad_fd_error; an fd past
///   caps().max_fd throws fd_out_of_range_error; an fd already registered throws
///   already_registered_error. `modify` changes interest and token of a registered fd;
///   `remove` forgets it. Both throw not_registered_error for an unknown fd. Nothing is
///   changed when a call throws.
/// - Closed fds. Closing a registered fd without remove() is a caller error, but
///   remove() of such an fd succeeds and afterwards nothing is reported for it. Once an
///   fd is removed, a new file opened under the same number and added again only ever
///   produces events for the new registration (no stale events, no stale token).
/// - select(timeout, out). Waits until at least one registered fd is ready, wake() is
///   called, a signal interrupts the wait (EINTR: returns 0 events, never throws), or
///   `timeout` elapses. timeout < 0 means wait indefinitely, 0 means poll. Timeouts are
///   rounded UP to the mechanism's resolution, so a call never returns early because of
///   rounding. Fills at most out.size() events, one per fd, and returns their count;
///   events left over are reported by the next call (level-triggered).
/// - HUP/ERR. A hang-up or error is reported as `readable` to a reader and `writable`
///   to a writer (so callbacks run and find the condition with their own syscall), plus
///   `hangup` / `error_event` where caps().reports_hangup. EOF with data pending is
///   reported readable; the data can be read before EOF.
/// - Socket errors. Where the mechanism reports a socket's pending error (an errno) with
///   the event, as kqueue does in an EV_EOF event's fflags, and caps().reports_error,
///   select() puts it in ready_event::error; elsewhere error is 0 and the error stays
///   where the socket keeps it (SO_ERROR, the next syscall's result). A mechanism may
///   clear SO_ERROR as it reads it (libkqueue on Linux does), so the event can be the only
///   place the error is left: the loop keeps it for the fd and fails with it the next
///   operation that would have met it (a read at EOF or finding nothing, a send refused
///   with EPIPE, a connect whose SO_ERROR reads 0), as the kernel would have.
/// - wake(). Thread-safe and async-signal-safe; makes the current or next select()
///   return promptly. Wakes coalesce. The selector's own wake fd is never reported.
/// - Threads. Everything but wake() is called from the loop's thread only.
class selector {
public:
    virtual ~selector() = default;

    virtual std::string_view name() const noexcept = 0;
    virtual selector_caps caps() const noexcept = 0;

    virtual void add(int fd, std::uint32_t interest, std::uint64_t token) = 0;
    virtual void modify(int fd, std::uint32_t interest, std::uint64_t token) = 0;
    virtual void remove(int fd) = 0;

    virtual std::size_t select(duration timeout, std::span<ready_event> out) = 0;
    virtual void wake() noexcept = 0;

    /// Number of fds currently registered (excluding the internal wake fd).
    virtual std::size_t size() const noexcept = 0;

    /// The native I/O extension, or null (readiness only).
    virtual completion_io* completion() noexcept { return nullptr; }
};

}  // namespace corolla
