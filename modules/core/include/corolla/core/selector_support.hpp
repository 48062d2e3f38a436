// Building blocks shared by the backends: fd validation, the fd -> (interest, token)
// table with the registration contract of selector.hpp, and the eventfd/pipe used by
// wake(). Public so that user-written backends can reuse them.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace corolla {

/// Throws bad_fd_error unless `fd` is non-negative and open.
void check_fd_open(int fd);

/// Registration bookkeeping indexed by fd. Enforces the add/modify/remove contract.
class fd_table {
public:
    struct entry {
        std::uint32_t interest = 0;  ///< 0 means not registered
        std::uint64_t token = 0;
    };

    /// Validates an add (negative, already registered, interest) without changing state.
    void check_add(int fd, std::uint32_t interest) const;
    /// Validates modify/remove: throws not_registered_error for an unknown fd.
    void check_known(int fd) const;
    static void check_interest(std::uint32_t interest);

    void set(int fd, std::uint32_t interest, std::uint64_t token);
    void erase(int fd) noexcept;

    bool contains(int fd) const noexcept {
        return fd >= 0 && static_cast<std::size_t>(fd) < entries_.size() && entries_[fd].interest != 0;
    }
    const entry& at(int fd) const noexcept { return entries_[fd]; }
    std::size_t size() const noexcept { return count_; }

    /// Calls f(fd, entry) for every registered fd in ascending fd order.
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i < entries_.size(); ++i)
            if (entries_[i].interest != 0) f(static_cast<int>(i), entries_[i]);
    }

private:
    std::vector<entry> entries_;
    std::size_t count_ = 0;
};

/// The fd a selector watches for wake(): an eventfd on Linux, a pipe elsewhere.
/// wake() is async-signal-safe and coalesces: only the first wake after a drain writes.
class wake_fd {
public:
    wake_fd();
    ~wake_fd();
    wake_fd(const wake_fd&) = delete;
    wake_fd& operator=(const wake_fd&) = delete;

    int read_fd() const noexcept { return read_fd_; }
    void wake() noexcept;
    /// Consumes pending wakes; called by the selector when read_fd() is readable.
    /// Empties the fd; true if a wake() was pending.
    bool drain() noexcept;

private:
    int read_fd_ = -1;
    int write_fd_ = -1;
    std::atomic<bool> pending_{false};
};

/// Selector timeouts are rounded UP to the mechanism's unit so waits never end early.
/// Returns -1 for an infinite timeout (timeout < 0).
inline long long ceil_millis(std::int64_t timeout_ns) noexcept {
    if (timeout_ns <= 0) return timeout_ns < 0 ? -1 : 0;  // the hot cases: block / poll
    const long long ms = timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0 ? 1 : 0);
    return ms > 0x7fffffff ? 0x7fffffff : ms;
}

}  // namespace corolla
