// Child processes (asyncio.subprocess) for both styles:
//
//     auto p = co_await subprocess::create_subprocess_exec("ls", args, {.stdout_mode = redirect::pipe});
//     std::string line = co_await p.stdout_reader().readline();   // or corolla::await(...)
//     int code = co_await p.wait();
//
// A child's piped stdin / stdout / stderr are net streams over pipes, with their
// back-pressure and drain(). The loop watches the child through a pidfd on Linux (or a
// SIGCHLD handler elsewhere) and reaps only the children it started.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/net/streams.hpp>
#include <corolla/process/errors.hpp>

namespace corolla::subprocess {

/// What one of the child's standard streams is connected to: asyncio's None, PIPE,
/// DEVNULL and STDOUT (named to_stdout: stdout is a macro of the C library).
enum class redirect : unsigned char {
    inherit,   ///< the parent's own stream
    pipe,      ///< a pipe to the parent: stdin_writer(), stdout_reader(), stderr_reader()
    devnull,   ///< /dev/null
    to_stdout  ///< stderr only: wherever stdout goes
};

struct process_options {
    redirect stdin_mode = redirect::inherit;
    redirect stdout_mode = redirect::inherit;
    redirect stderr_mode = redirect::inherit;
    /// The child's working directory; empty: the parent's.
    std::string cwd;
    /// The child's whole environment as "NAME=value" entries; unset: the parent's.
    std::optional<std::vector<std::string>> env;
    /// setsid() in the child (a new session and process group).
    bool start_new_session = false;
    /// The pipes' stream settings: readline's limit, drain's water marks.
    net::stream_options streams{.nodelay = false};
};

/// What communicate() returns: everything the child wrote to its piped stdout and stderr
/// ("" for a stream that is not piped).
struct communicate_result {
    std::string stdout_data;
    std::string stderr_data;
};

class process;

namespace detail {
class child_state;
class process_state;
class communicate_state;
}  // namespace detail

/// Waits until the child has exited and was reaped; its returncode.
class wait_op : public corolla::operation_base {
public:
    using result_type = int;
    explicit wait_op(std::shared_ptr<detail::child_state> c) noexcept : c_(std::move(c)) {}
    wait_op(wait_op&&) noexcept = default;
    ~wait_op();
    corolla::detail::future_base* start(event_loop& loop);
    int finish(std::exception_ptr injected);

private:
    std::shared_ptr<detail::child_state> c_;
    corolla::detail::intrusive_ptr<corolla::detail::waiter> w_;
};

/// Feeds stdin, reads stdout and stderr to EOF, then waits (see process::communicate).
class communicate_op : public corolla::operation_base {
public:
    using result_type = communicate_result;
    communicate_op(std::shared_ptr<detail::process_state> p, std::optional<std::string> input);
    communicate_op(communicate_op&&) noexcept;
    ~communicate_op();
    corolla::detail::future_base* start(event_loop& loop);
    communicate_result finish(std::exception_ptr injected);

private:
    // On the heap: the operation lives in the awaiting coroutine's frame, and g++ 12 may
    // relocate an awaited temporary bitwise, which a short std::string does not survive.
    struct impl;
    std::unique_ptr<impl> p_;
};

/// Starts the child (create_subprocess_exec / _shell). Spawning does not wait, so the
/// operation completes at once, with the process or the error.
class spawn_op : public corolla::operation_base {
public:
    using result_type = process;
    spawn_op(std::vector<std::string> argv, process_options options, bool search_path);
    spawn_op(spawn_op&&) noexcept;
    ~spawn_op();
    corolla::detail::future_base* start(event_loop& loop);
    process finish(std::exception_ptr injected);

private:
    struct impl;  // on the heap, as communicate_op's
    std::unique_ptr<impl> p_;
};

/// A started child (asyncio.subprocess.Process). Copies refer to the same child. Use it
/// from its loop's thread only.
///
/// When the last copy goes away while the child still runs, the child is killed (SIGKILL,
/// as asyncio's transport does when it is closed or collected) and the loop goes on
/// watching it until it is reaped, so no zombie is left; if the loop is closed already,
/// it is reaped there and then.
class process {
public:
    process() = default;
    explicit process(std::shared_ptr<detail::process_state> s) noexcept : s_(std::move(s)) {}

    int pid() const noexcept;
    /// Unset while the child runs; its exit status once it exited, or -N when signal N
    /// killed it (asyncio's convention). Set by the loop when it reaps the child.
    std::optional<int> returncode() const noexcept;

    /// The child's stdin, stdout and stderr when piped; empty (false) otherwise.
    net::stream_writer& stdin_writer() noexcept;
    net::stream_reader& stdout_reader() noexcept;
    net::stream_reader& stderr_reader() noexcept;

    /// Completes with the returncode once the child exited. Cancelling the wait leaves the
    /// child alone; a later wait() gets the code. It does not wait for the pipes to reach
    /// EOF: what the child wrote stays readable.
    [[nodiscard]] wait_op wait();
    /// Writes `input` to stdin (if piped; nothing is written when input is unset), closes
    /// stdin, reads stdout and stderr to EOF concurrently, then waits for the child. A
    /// child that exits without reading its input is not an error (broken_pipe_error and
    /// connection_reset_error on stdin are ignored, as asyncio does). Cancelling it
    /// cancels the reads; the child goes on.
    [[nodiscard]] communicate_op communicate(std::optional<std::string> input = std::nullopt);

    /// Sends `sig` to the child. Throws process_lookup_error once the child was reaped
    /// (returncode() is set): its pid may be someone else's by then.
    void send_signal(int sig);
    /// send_signal(SIGTERM).
    void terminate();
    /// send_signal(SIGKILL).
    void kill();

    explicit operator bool() const noexcept { return static_cast<bool>(s_); }

private:
    std::shared_ptr<detail::process_state> s_;
};

/// Runs `program` with `args` (argv[1...]); a program without a '/' is searched in PATH.
/// Throws (from the await) file_not_found_error when there is no such program or
/// working directory, permission_error when it is not executable, value_error for bad
/// options; a child that could not be started never becomes a zombie.
[[nodiscard]] spawn_op create_subprocess_exec(std::string program, std::vector<std::string> args = {},
                                              const process_options& options = {});
/// Runs `cmd` with /bin/sh -c.
[[nodiscard]] spawn_op create_subprocess_shell(std::string cmd, const process_options& options = {});

/// The same, started on `loop` now, as a future.
future<process> create_subprocess_exec(event_loop& loop, std::string program, std::vector<std::string> args = {},
                                       const process_options& options = {});
future<process> create_subprocess_shell(event_loop& loop, std::string cmd, const process_options& options = {});

}  // namespace corolla::subprocess
