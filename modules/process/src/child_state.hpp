// What the loop knows of one started child: its pid, the pidfd it is watched through (or
// its place in the SIGCHLD watcher), its returncode once reaped, and the tasks waiting for
// it. The watcher's callback holds a reference until the child is reaped, so a child
// whose process object is gone is still reaped by the loop.
#pragma once

#include <memory>
#include <optional>

#include <sys/types.h>

#include <corolla/core/detail/loop_anchor.hpp>
#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/process/process.hpp>

namespace corolla::subprocess::detail {

class child_state : public std::enable_shared_from_this<child_state> {
public:
    child_state(event_loop& loop, pid_t pid) noexcept;
    /// A child never reaped (the loop closed first): killed and reaped here, so that no
    /// zombie is left. Closes the pidfd.
    ~child_state();
    child_state(const child_state&) = delete;
    child_state& operator=(const child_state&) = delete;

    /// Starts watching (pidfd, else the SIGCHLD watcher). Throws if neither can.
    void watch();
    /// Reaps the child if it exited (waitpid WNOHANG); true once reaped.
    bool poll();
    /// The loop, or null once it is closed or destroyed.
    event_loop* live_loop() const noexcept;

    event_loop* loop;
    std::shared_ptr<corolla::detail::loop_anchor> anchor;
    pid_t pid;
    int pidfd = -1;
    std::optional<int> returncode;
    corolla::detail::waiter_list waiters;

private:
    void reaped(int status, bool known);
    void stop_watching() noexcept;
};

/// Adds `c` to the SIGCHLD watcher of its loop (the fallback where pidfds are missing;
/// prepare_sigchld first). It is polled once soon too: a SIGCHLD that came before it
/// was added found nothing to reap, and left the zombie for that poll.
void watch_by_sigchld(const std::shared_ptr<child_state>& c);
/// Claims SIGCHLD on `loop` for the fallback watcher before a child is spawned (so that a
/// loop that cannot have it fails before anything is started).
void prepare_sigchld(event_loop& loop);
/// Gives SIGCHLD back when the fallback watcher of `loop` watches no child (a spawn failed).
void release_sigchld(event_loop& loop);
/// True when children are watched through pidfds (Linux 5.3+), unless the environment
/// says COROLLA_CHILD_WATCHER=sigchld (to test the fallback).
bool pidfd_watcher_enabled() noexcept;

/// The user-facing part: the child and its pipes. When the last process copy goes, a
/// child still running is killed (the watcher then reaps it).
class process_state {
public:
    ~process_state();
    std::shared_ptr<child_state> child;
    net::stream_writer in;
    net::stream_reader out;
    net::stream_reader err;
};

/// Spawns argv with the options, on `loop` (detail of spawn_op::start).
std::shared_ptr<process_state> spawn(event_loop& loop, const std::vector<std::string>& argv,
                                     const process_options& options, bool search_path);

}  // namespace corolla::subprocess::detail
