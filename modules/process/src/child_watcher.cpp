// Watching children. On Linux 5.3+ each child gets a pidfd, which turns readable when the
// child exits: an add_reader on it works on every backend (io_uring polls it like any
// fd), needs no signal handler and cannot reap anyone else's child. Where pidfd_open is
// missing (other systems, old kernels) the fallback is one SIGCHLD handler per loop that
// polls, with waitpid(pid, WNOHANG), each child that loop started and no other: never
// waitpid(-1), which would steal the exit status of children the program started itself.
// Only one loop per process can hold SIGCHLD, so with the fallback only one loop at a
// time can run children (another one gets already_registered_error from the create call).
#include "child_state.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include <corolla/core/detail/loop_access.hpp>

namespace corolla::subprocess::detail {

namespace {

/// A new pidfd (close-on-exec), or -1 with errno set.
int open_pidfd(pid_t pid) noexcept {
#if defined(__linux__) && defined(SYS_pidfd_open)
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -1 : static_cast<int>(fd);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/// Whether this kernel has pidfd_open: probed once on our own pid.
bool kernel_has_pidfd() noexcept {
    static const bool has = [] {
        const int fd = open_pidfd(::getpid());
        if (fd < 0) return errno != ENOSYS && errno != EPERM;  // EPERM: a seccomp filter
        ::close(fd);
        return true;
    }();
    return has;
}

int returncode_of(int status) noexcept {
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return status;
}

// --- the SIGCHLD fallback ----------------------------------------------------------------

struct sigchld_set {
    event_loop* loop = nullptr;
    std::vector<std::shared_ptr<child_state>> children;
};

std::mutex g_mutex;  // guards g_sets; the sets themselves are used on their loop's thread
std::unordered_map<event_loop*, std::weak_ptr<sigchld_set>> g_sets;

void retire_if_idle(const std::shared_ptr<sigchld_set>& s) {
    if (!s->children.empty()) return;
    {
        std::lock_guard lock(g_mutex);
        auto it = g_sets.find(s->loop);
        if (it != g_sets.end() && it->second.lock() == s) g_sets.erase(it);
    }
    s->loop->remove_signal_handler(SIGCHLD);
}

void on_sigchld(std::shared_ptr<sigchld_set> s) {  // by value: removing the handler drops its copy
    std::erase_if(s->children, [](const std::shared_ptr<child_state>& c) { return c->poll(); });
    retire_if_idle(s);
}

std::shared_ptr<sigchld_set> sigchld_set_for(event_loop& loop) {
    std::lock_guard lock(g_mutex);
    std::weak_ptr<sigchld_set>& slot = g_sets[&loop];
    std::shared_ptr<sigchld_set> s = slot.lock();
    if (!s) {
        s = std::make_shared<sigchld_set>();
        s->loop = &loop;
        try {
            loop.add_signal_handler(SIGCHLD, [s] { on_sigchld(s); });
        } catch (...) {
            g_sets.erase(&loop);
            throw;
        }
        slot = s;
    }
    return s;
}

}  // namespace

bool pidfd_watcher_enabled() noexcept {
    const char* forced = std::getenv("COROLLA_CHILD_WATCHER");
    if (forced && std::strcmp(forced, "sigchld") == 0) return false;
    return kernel_has_pidfd();
}

void prepare_sigchld(event_loop& loop) { sigchld_set_for(loop); }

void release_sigchld(event_loop& loop) {
    std::shared_ptr<sigchld_set> s;
    {
        std::lock_guard lock(g_mutex);
        auto it = g_sets.find(&loop);
        if (it != g_sets.end()) s = it->second.lock();
    }
    if (s) retire_if_idle(s);
}

void watch_by_sigchld(const std::shared_ptr<child_state>& c) {
    std::shared_ptr<sigchld_set> s = sigchld_set_for(*c->loop);
    s->children.push_back(c);
    c->loop->call_soon([s] { on_sigchld(s); });
}

// --- child_state ---------------------------------------------------------------------------

child_state::child_state(event_loop& l, pid_t p) noexcept
    : loop(&l), anchor(corolla::detail::loop_access::anchor(l)), pid(p) {}

child_state::~child_state() {
    if (!returncode) {
        // Nobody can watch it any more (its loop closed): kill it and reap it now rather
        // than leave a zombie. A killed child exits at once.
        ::kill(pid, SIGKILL);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    stop_watching();
}

event_loop* child_state::live_loop() const noexcept {
    std::lock_guard lock(anchor->mutex);
    if (anchor->loop != loop || loop->is_closed()) return nullptr;
    return loop;
}

void child_state::watch() {
    if (!pidfd_watcher_enabled()) return watch_by_sigchld(shared_from_this());
    pidfd = open_pidfd(pid);
    if (pidfd < 0) throw_process_error(errno, "pidfd_open");
    // The callback holds the state: the child is reaped even when its process is gone.
    loop->add_reader(pidfd, [self = shared_from_this()] { self->poll(); });
}

bool child_state::poll() {
    if (returncode) return true;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    reaped(status, r > 0);
    return true;
}

void child_state::reaped(int status, bool known) {
    if (known) {
        returncode = returncode_of(status);
    } else {
        // ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN, or a waitpid(-1)
        // elsewhere). asyncio reports 255 then, with a warning.
        returncode = 255;
        if (event_loop* l = live_loop())
            l->log(log_level::warning,
                   "child process " + std::to_string(pid) + " was reaped elsewhere; its returncode is set to 255");
    }
    stop_watching();
    while (corolla::detail::waiter* w = waiters.pop_front())
        w->set_result();
}

void child_state::stop_watching() noexcept {
    if (pidfd < 0) return;
    if (event_loop* l = live_loop()) {
        try {
            l->remove_reader(pidfd);
        } catch (...) {  // a selector that failed to forget the fd: it is closed next anyway
        }
    }
    ::close(pidfd);
    pidfd = -1;
}

}  // namespace corolla::subprocess::detail
