// The process handle, wait() and the create calls.
#include <corolla/process/process.hpp>

#include <csignal>
#include <utility>

#include <signal.h>

#include "child_state.hpp"

namespace corolla::subprocess {

using corolla::detail::future_base;

namespace detail {

process_state::~process_state() {
    // asyncio's transport, closed or collected while the child runs, kills it; the loop's
    // watcher (or the child_state, if the loop is gone) reaps it.
    if (child && !child->returncode) ::kill(child->pid, SIGKILL);
}

}  // namespace detail

// --- wait ----------------------------------------------------------------------------------

wait_op::~wait_op() {
    if (w_ && !w_->done()) w_->cancel("wait abandoned");
}

future_base* wait_op::start(event_loop& loop) {
    if (!c_) throw invalid_state_error("wait on an empty process");
    if (c_->returncode) return nullptr;
    if (&loop != c_->loop) throw invalid_state_error("wait: the process belongs to another event loop");
    w_ = corolla::detail::make_waiter(loop);
    c_->waiters.push_back(*w_);
    return w_.get();
}

int wait_op::finish(std::exception_ptr injected) {
    if (w_) corolla::detail::rethrow_unless_granted(*w_);
    if (injected) std::rethrow_exception(injected);
    return *c_->returncode;
}

// --- spawn ---------------------------------------------------------------------------------

struct spawn_op::impl {
    std::vector<std::string> argv;
    process_options options;
    bool search_path;
    std::shared_ptr<detail::process_state> result;
    std::exception_ptr error;
};

spawn_op::spawn_op(std::vector<std::string> argv, process_options options, bool search_path)
    : p_(new impl{std::move(argv), std::move(options), search_path, {}, {}}) {}
spawn_op::spawn_op(spawn_op&&) noexcept = default;
spawn_op::~spawn_op() = default;

future_base* spawn_op::start(event_loop& loop) {
    // The outcome is delivered by finish(), so that as_future gets a failed future.
    try {
        p_->result = detail::spawn(loop, p_->argv, p_->options, p_->search_path);
    } catch (...) {
        p_->error = std::current_exception();
    }
    return nullptr;
}

process spawn_op::finish(std::exception_ptr injected) {
    if (p_->error) std::rethrow_exception(p_->error);
    // Started before the cancellation reached us: hand the process over (dropping it would
    // kill the child), and deliver the cancellation at the next suspension point.
    corolla::detail::defer_cancel(injected);
    return process(std::move(p_->result));
}

spawn_op create_subprocess_exec(std::string program, std::vector<std::string> args, const process_options& options) {
    args.insert(args.begin(), std::move(program));
    return spawn_op(std::move(args), options, true);
}

spawn_op create_subprocess_shell(std::string cmd, const process_options& options) {
    return spawn_op({"/bin/sh", "-c", std::move(cmd)}, options, false);
}

future<process> create_subprocess_exec(event_loop& loop, std::string program, std::vector<std::string> args,
                                       const process_options& options) {
    return as_future(loop, create_subprocess_exec(std::move(program), std::move(args), options));
}

future<process> create_subprocess_shell(event_loop& loop, std::string cmd, const process_options& options) {
    return as_future(loop, create_subprocess_shell(std::move(cmd), options));
}

// --- process -------------------------------------------------------------------------------

int process::pid() const noexcept { return s_ ? static_cast<int>(s_->child->pid) : -1; }

std::optional<int> process::returncode() const noexcept { return s_ ? s_->child->returncode : std::nullopt; }

net::stream_writer& process::stdin_writer() noexcept { return s_->in; }
net::stream_reader& process::stdout_reader() noexcept { return s_->out; }
net::stream_reader& process::stderr_reader() noexcept { return s_->err; }

wait_op process::wait() { return wait_op(s_ ? s_->child : nullptr); }

communicate_op process::communicate(std::optional<std::string> input) {
    if (!s_) throw invalid_state_error("communicate on an empty process");
    return communicate_op(s_, std::move(input));
}

void process::send_signal(int sig) {
    if (!s_) throw invalid_state_error("send_signal on an empty process");
    if (s_->child->returncode) throw process_lookup_error(ESRCH, "send_signal: the child process was reaped");
    // Not reaped yet, so the pid is still this child's (a zombie at worst).
    if (::kill(s_->child->pid, sig) < 0) throw_process_error(errno, "send_signal");
}

void process::terminate() { send_signal(SIGTERM); }
void process::kill() { send_signal(SIGKILL); }

}  // namespace corolla::subprocess
