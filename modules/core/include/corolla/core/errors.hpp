// Error types thrown by corolla. Every misuse of the API raises one of these, each naming
// what was wrong; OS failures surface as std::system_error. `cancelled_error` (and
// `generator_exit`) are special: like asyncio's CancelledError (a BaseException since
// Python 3.8) they deliberately do NOT derive from std::exception, so a
// `catch (const std::exception&)` meant for ordinary failures cannot swallow a
// cancellation (or a generator's close) by accident.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace corolla {

/// Base of every corolla error that is not an OS error.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An operation is not allowed in the object's current state
/// (asyncio.InvalidStateError): result() of a pending future, set_result() twice.
class invalid_state_error : public error {
public:
    using error::error;
};

/// A value is out of range for the operation (Python's ValueError): a negative semaphore
/// value, a bounded semaphore released more often than acquired, task_done() called more
/// often than items were put.
class value_error : public error {
public:
    using error::error;
};

/// The loop is closed; nothing can be scheduled on it or run by it.
class loop_closed_error : public error {
public:
    using error::error;
};

/// The loop (or another loop on this thread) is already running: re-entrant
/// run_forever / run_until_complete, or close() from inside a callback.
class loop_running_error : public error {
public:
    using error::error;
};

/// A debug-mode check: a non-thread-safe loop method was called from a thread other
/// than the one running the loop.
class wrong_thread_error : public error {
public:
    using error::error;
};

/// An fd that cannot be registered: negative, closed, or out of the backend's range.
class bad_fd_error : public error {
public:
    bad_fd_error(int fd, const std::string& why)
        : error("bad file descriptor " + std::to_string(fd) + ": " + why), fd_(fd) {}
    int fd() const noexcept { return fd_; }

private:
    int fd_;
};

/// The select backend cannot watch descriptors at or above FD_SETSIZE.
class fd_out_of_range_error : public bad_fd_error {
public:
    using bad_fd_error::bad_fd_error;
};

/// The fd (or the fd for this direction) is already registered.
class already_registered_error : public error {
public:
    using error::error;
};

/// The fd (or signal) is not registered where the caller said it was.
class not_registered_error : public error {
public:
    using error::error;
};

/// A backend was asked for by name but is not compiled in, or cannot run on this host.
class backend_unavailable_error : public error {
public:
    using error::error;
};

/// A deadline passed (asyncio.TimeoutError): wait_for, timeout scopes.
class timeout_error : public error {
public:
    using error::error;
    timeout_error() : error("timed out") {}
};

/// run() was interrupted by SIGINT (Ctrl+C) and the main task ended cancelled because
/// of it (Python's KeyboardInterrupt out of asyncio.run).
class keyboard_interrupt : public error {
public:
    keyboard_interrupt() : error("interrupted (SIGINT)") {}
};

/// Several failures at once (asyncio's ExceptionGroup): a task_group whose children (or
/// body) failed. what() names how many and the first; exceptions() holds them all, in
/// the order they happened.
class exception_group : public error {
public:
    exception_group(const std::string& message, std::vector<std::exception_ptr> exceptions);
    const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

private:
    std::vector<std::exception_ptr> exceptions_;
};

/// The operation was cancelled. Thrown at the suspension point of a cancelled task and
/// by result() of a cancelled future. Not a std::exception: see the header comment.
class cancelled_error {
public:
    cancelled_error() = default;
    explicit cancelled_error(std::string message) : message_(std::move(message)) {}
    const std::string& message() const noexcept { return message_; }
    const char* what() const noexcept { return message_.empty() ? "cancelled" : message_.c_str(); }

private:
    std::string message_;
};

/// Thrown into a suspended generator at its yield point by close() / aclose()
/// (Python's GeneratorExit). Catch it to clean up, then return or let it propagate; a
/// generator that yields again instead is refused with invalid_state_error. Like
/// cancelled_error, and for the same reason, it is not a std::exception.
class generator_exit {
public:
    const char* what() const noexcept { return "generator_exit"; }
};

namespace detail {
/// True when `e` holds a cancelled_error (scopes decide what escapes by this).
bool is_cancellation(const std::exception_ptr& e) noexcept;
}  // namespace detail

}  // namespace corolla
