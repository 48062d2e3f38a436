#include "signal_table.hpp"

#include <cerrno>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

#include <corolla/core/errors.hpp>
#include <corolla/core/selector.hpp>

#ifndef NSIG
#define NSIG 65
#endif

namespace corolla::detail {
namespace {

struct slot {
    std::atomic<signal_target*> owner{nullptr};
    std::atomic<bool> pending{false};
    struct sigaction previous {};
};

slot g_slots[NSIG];
std::mutex g_mutex;  // serialises claim/release, never taken in the handler

extern "C" void corolla_on_signal(int sig) {
    if (sig <= 0 || sig >= NSIG) return;
    g_slots[sig].pending.store(true, std::memory_order_release);
    if (signal_target* t = g_slots[sig].owner.load(std::memory_order_acquire)) {
        t->any_pending.store(true, std::memory_order_release);
        if (selector* s = t->sel.load(std::memory_order_acquire)) s->wake();
    }
}

}  // namespace

int signal_limit() noexcept { return NSIG; }

void claim_signal(int sig, signal_target* target) {
    if (sig <= 0 || sig >= NSIG)
        throw std::invalid_argument("signal number " + std::to_string(sig) + " is out of range");
    if (sig == SIGKILL || sig == SIGSTOP)
        throw std::invalid_argument("signal " + std::to_string(sig) + " cannot be caught");
    std::lock_guard lock(g_mutex);
    slot& s = g_slots[sig];
    signal_target* cur = s.owner.load();
    if (cur == target) return;
    if (cur != nullptr)
        throw already_registered_error("signal " + std::to_string(sig) + " is handled by another event loop");
    struct sigaction sa {};
    sa.sa_handler = corolla_on_signal;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART keeps unrelated blocking syscalls working; the loop learns of the
    // signal through wake(), not through EINTR.
    sa.sa_flags = SA_RESTART;
    s.pending.store(false);
    s.owner.store(target, std::memory_order_release);
    if (::sigaction(sig, &sa, &s.previous) != 0) {
        const int e = errno;
        s.owner.store(nullptr);
        throw std::system_error(e, std::generic_category(), "sigaction");
    }
}

void release_signal(int sig, signal_target* target) noexcept {
    if (sig <= 0 || sig >= NSIG) return;
    std::lock_guard lock(g_mutex);
    slot& s = g_slots[sig];
    if (s.owner.load() != target) return;
    ::sigaction(sig, &s.previous, nullptr);
    s.owner.store(nullptr, std::memory_order_release);
    s.pending.store(false);
}

bool take_signal(int sig) noexcept { return g_slots[sig].pending.exchange(false, std::memory_order_acq_rel); }

}  // namespace corolla::detail
