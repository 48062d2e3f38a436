// The thread bridge: call_soon_threadsafe's queue, and parking. A running loop is never
// woken by a syscall (it checks the queue before it blocks); a parked one is woken once,
// through its selector or, when it has nothing to select, a futex.
#include "loop_impl.hpp"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace corolla::detail {

#if defined(__linux__)
void futex_wait(std::atomic<int>& word, int expected, duration timeout) noexcept {
    timespec ts{};
    timespec* limit = nullptr;
    if (timeout.count() >= 0) {
        ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
        limit = &ts;
    }
    ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_PRIVATE, expected, limit, nullptr, 0);
}
void futex_wake(std::atomic<int>& word) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}
#endif

void loop_impl::schedule_threadsafe(handle_base* owned) {
    handle_ptr h = handle_ptr::adopt(owned);  // released here if we throw
    std::lock_guard lock(ts_mutex_);
    check_open();
    ts_queue_.push_back(h.detach());
    ts_pending_.store(true, std::memory_order_seq_cst);
    // Only a parked loop needs waking: a running one checks ts_pending_ before it
    // blocks (park()). Under the lock: close() cannot destroy the selector meanwhile.
    int p = park_.load(std::memory_order_seq_cst);
    if (p == parked_in_selector) {
        selector_->wake();
    } else if (p == parked_on_futex && park_.compare_exchange_strong(p, running_state)) {
        futex_wake(park_);
    }
}

/// Blocks until `timeout` (< 0: no limit), an fd is ready, or another thread queues a
/// callback. Announces itself first (park_), so call_soon_threadsafe wakes the loop
/// only when it is parked, not with a syscall per call while it runs. With nothing a
/// selector could report (no fd, no request in the kernel, no signal handler) it waits
/// on a futex instead of the selector: a cross-thread wake is then one futex call
/// rather than an eventfd write, the selector's return and a read.
std::size_t loop_impl::park(duration timeout) {
    const bool futex = futex_parking && selector_->size() == 0 && io_pending_ == 0 && signal_count_ == 0;
    const int state = futex ? parked_on_futex : parked_in_selector;
    park_.store(state, std::memory_order_seq_cst);
    std::size_t n = 0;
    if (!ts_pending_.load(std::memory_order_seq_cst)) {  // else a callback came meanwhile
        if (futex)
            futex_wait(park_, state, timeout);
        else
            n = selector_->select(timeout, events_);
    }
    park_.store(running_state, std::memory_order_seq_cst);
    return n;
}

}  // namespace corolla::detail
