// Starting a child with posix_spawn: no fork of the parent's memory (glibc clones with
// CLONE_VM | CLONE_VFORK), and the exec's errno comes back as posix_spawn's result, with
// the failed child already reaped by the C library, so a missing program is a typed error
// and never a zombie. Pipes are created close-on-exec; the parent's ends are made
// non-blocking, the child's ends stay blocking (a child expects blocking stdio) and are
// dup2'ed onto 0, 1, 2. Like Python's subprocess, the child gets no other fd of ours
// (closefrom(3) where the C library offers it; everything corolla opens is close-on-exec
// anyway) and SIGPIPE / SIGXFSZ back at their defaults.
#include "child_state.hpp"

#include <cerrno>
#include <csignal>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <corolla/core/errors.hpp>
#include <corolla/net/socket.hpp>

extern char** environ;

namespace corolla::subprocess::detail {

namespace {

/// An fd closed at scope exit unless released.
struct owned_fd {
    int fd = -1;
    owned_fd() = default;
    explicit owned_fd(int f) noexcept : fd(f) {}
    owned_fd(owned_fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    owned_fd& operator=(owned_fd&& o) noexcept {
        reset();
        fd = std::exchange(o.fd, -1);
        return *this;
    }
    ~owned_fd() { reset(); }
    void reset() noexcept {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

/// One pipe: the parent's end (non-blocking) and the child's end (blocking, never 0-2, so
/// that dup2 onto 0-2 always makes a fresh, inheritable copy).
struct child_pipe {
    owned_fd parent;
    owned_fd child;
};

child_pipe make_pipe(bool child_reads) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_process_error(errno, "pipe2");
    owned_fd r(fds[0]), w(fds[1]);
    child_pipe p;
    p.parent = child_reads ? std::move(w) : std::move(r);
    p.child = child_reads ? std::move(r) : std::move(w);
    const int fl = ::fcntl(p.parent.fd, F_GETFL);
    if (fl < 0 || ::fcntl(p.parent.fd, F_SETFL, fl | O_NONBLOCK) < 0) throw_process_error(errno, "fcntl(O_NONBLOCK)");
    if (p.child.fd < 3) {
        const int moved = ::fcntl(p.child.fd, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) throw_process_error(errno, "fcntl(F_DUPFD_CLOEXEC)");
        p.child = owned_fd(moved);
    }
    return p;
}

/// posix_spawn's attribute and file-action objects, destroyed at scope exit.
struct spawn_setup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    spawn_setup() {
        if (int e = ::posix_spawn_file_actions_init(&actions)) throw_process_error(e, "posix_spawn_file_actions_init");
        if (int e = ::posix_spawnattr_init(&attr)) {
            ::posix_spawn_file_actions_destroy(&actions);
            throw_process_error(e, "posix_spawnattr_init");
        }
    }
    ~spawn_setup() {
        ::posix_spawnattr_destroy(&attr);
        ::posix_spawn_file_actions_destroy(&actions);
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
};

void check(int e, const char* what) {
    if (e != 0) throw_process_error(e, what);
}

/// Connects the child's `target` fd (0, 1, 2) as `mode` asks; a pipe end goes to `pipe_end`.
void redirect_fd(spawn_setup& s, redirect mode, int target, int pipe_end) {
    switch (mode) {
    case redirect::inherit: break;
    case redirect::pipe: check(::posix_spawn_file_actions_adddup2(&s.actions, pipe_end, target), "adddup2"); break;
    case redirect::devnull:
        check(::posix_spawn_file_actions_addopen(&s.actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0),
              "addopen /dev/null");
        break;
    case redirect::to_stdout: check(::posix_spawn_file_actions_adddup2(&s.actions, 1, target), "adddup2"); break;
    }
}

net::socket adopt(owned_fd& fd) { return net::socket::adopt(fd.release()); }

}  // namespace

std::shared_ptr<process_state> spawn(event_loop& loop, const std::vector<std::string>& argv, const process_options& o,
                                     bool search_path) {
    if (argv.empty() || argv[0].empty()) throw value_error("create_subprocess: the program is empty");
    if (o.stdin_mode == redirect::to_stdout || o.stdout_mode == redirect::to_stdout)
        throw value_error("create_subprocess: redirect::to_stdout is only for stderr");
    for (const std::string& a : argv)
        if (a.find('\0') != std::string::npos) throw value_error("create_subprocess: an argument holds a NUL byte");

    child_pipe in, out, err;
    if (o.stdin_mode == redirect::pipe) in = make_pipe(true);
    if (o.stdout_mode == redirect::pipe) out = make_pipe(false);
    if (o.stderr_mode == redirect::pipe) err = make_pipe(false);

    spawn_setup s;
    redirect_fd(s, o.stdin_mode, 0, in.child.fd);
    redirect_fd(s, o.stdout_mode, 1, out.child.fd);
    redirect_fd(s, o.stderr_mode, 2, err.child.fd);
    if (!o.cwd.empty()) check(::posix_spawn_file_actions_addchdir_np(&s.actions, o.cwd.c_str()), "addchdir");
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    check(::posix_spawn_file_actions_addclosefrom_np(&s.actions, 3), "addclosefrom");
#endif
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (o.start_new_session) flags |= POSIX_SPAWN_SETSID;
    check(::posix_spawnattr_setflags(&s.attr, flags), "posix_spawnattr_setflags");
    sigset_t defaults, mask;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXFSZ);
    sigemptyset(&mask);
    check(::posix_spawnattr_setsigdefault(&s.attr, &defaults), "posix_spawnattr_setsigdefault");
    check(::posix_spawnattr_setsigmask(&s.attr, &mask), "posix_spawnattr_setsigmask");

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    if (o.env) {
        envp.reserve(o.env->size() + 1);
        for (const std::string& e : *o.env)
            envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
    }

    const bool by_sigchld = !pidfd_watcher_enabled();
    if (by_sigchld) prepare_sigchld(loop);  // before the child exists: its SIGCHLD is not lost
    pid_t pid = -1;
    char* const* env = o.env ? envp.data() : environ;
    const int rc = search_path ? ::posix_spawnp(&pid, args[0], &s.actions, &s.attr, args.data(), env)
                               : ::posix_spawn(&pid, args[0], &s.actions, &s.attr, args.data(), env);
    if (rc != 0) {
        if (by_sigchld) release_sigchld(loop);
        throw_process_error(rc, std::string(search_path ? "create_subprocess_exec " : "create_subprocess_shell ") +
                                    argv[0] + (o.cwd.empty() ? std::string() : " in " + o.cwd));
    }
    in.child.reset();
    out.child.reset();
    err.child.reset();

    auto p = std::make_shared<process_state>();
    // From here on the child is ours: if watching it fails, the child_state's destructor
    // kills and reaps it.
    p->child = std::make_shared<child_state>(loop, pid);
    p->child->watch();
    if (in.parent.fd >= 0) p->in = net::open_stream(adopt(in.parent), o.streams).writer;
    if (out.parent.fd >= 0) p->out = net::open_stream(adopt(out.parent), o.streams).reader;
    if (err.parent.fd >= 0) p->err = net::open_stream(adopt(err.parent), o.streams).reader;
    return p;
}

}  // namespace corolla::subprocess::detail
