#include <corolla/kqueue/kqueue_selector.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/selector_support.hpp>

#if defined(__linux__)
// libkqueue frees a closed kqueue (its epoll fd, its close-detect pipe) from a monitor
// thread once it notices the close, tens of milliseconds later; this call waits until it
// has. It is exported but not declared in libkqueue's header, and older releases lack it:
// a weak reference links against either, and is null where the function is absent.
extern "C" void libkqueue_drain_pending_close() __attribute__((weak));
#endif

namespace corolla {
namespace {

/// Gives back at once what closing a kqueue releases: immediate with a native kqueue,
/// deferred to the monitor thread under libkqueue unless it is asked to finish.
void finish_kqueue_close() noexcept {
#if defined(__linux__)
    if (libkqueue_drain_pending_close) libkqueue_drain_pending_close();
#endif
}

class kqueue_selector final : public selector {
public:
    kqueue_selector() : kq_(::kqueue()) {
        if (kq_ < 0) throw std::system_error(errno, std::generic_category(), "kqueue");
        ::fcntl(kq_, F_SETFD, FD_CLOEXEC);
        struct kevent ev;
        EV_SET(&ev, wake_.read_fd(), EVFILT_READ, EV_ADD, 0, 0, nullptr);
        if (::kevent(kq_, &ev, 1, nullptr, 0, nullptr) < 0) {
            const int e = errno;
            ::close(kq_);
            throw std::system_error(e, std::generic_category(), "kevent(wake fd)");
        }
    }
    ~kqueue_selector() override {
        ::close(kq_);
        finish_kqueue_close();  // a destroyed loop's fds are closed when it is gone
    }

    std::string_view name() const noexcept override { return "kqueue"; }
    selector_caps caps() const noexcept override {
        return {.reports_hangup = true, .reports_error = true, .max_fd = -1};
    }
    std::size_t size() const noexcept override { return table_.size(); }

    void add(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_add(fd, interest);
        check_fd_open(fd);
        change(fd, 0, interest);
        table_.set(fd, interest, token);
    }

    void modify(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_known(fd);
        fd_table::check_interest(interest);
        const std::uint32_t old = table_.at(fd).interest;
        if (interest != old) change(fd, old, interest);
        table_.set(fd, interest, token);
    }

    void remove(int fd) override {
        table_.check_known(fd);
        // A closed fd lost its filters with it (EBADF / ENOENT): what remove() promises.
        const std::uint32_t old = table_.at(fd).interest;
        struct kevent ch[2];
        int n = 0;
        if (old & readable) EV_SET(&ch[n++], fd, EVFILT_READ, EV_DELETE, 0, 0, nullptr);
        if (old & writable) EV_SET(&ch[n++], fd, EVFILT_WRITE, EV_DELETE, 0, 0, nullptr);
        for (int i = 0; i < n; ++i)
            if (::kevent(kq_, &ch[i], 1, nullptr, 0, nullptr) < 0 && errno != EBADF && errno != ENOENT)
                throw std::system_error(errno, std::generic_category(), "kevent(EV_DELETE)");
        table_.erase(fd);
    }

    std::size_t select(duration timeout, std::span<ready_event> out) override {
        // Up to two kevents per fd (read and write) plus the wake fd.
        const std::size_t want = out.size() * 2 + 1;
        if (buf_.size() < want) buf_.resize(want);
        // libkqueue may report the wake fd once more after it was drained; such a report
        // (nothing to read, no fd of ours ready) does not end the wait early.
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            timespec ts{};
            timespec* tp = nullptr;
            if (timeout.count() >= 0) {
                const auto left =
                    std::max(duration::zero(),
                             std::chrono::duration_cast<duration>(deadline - std::chrono::steady_clock::now()));
                ts.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
                ts.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
                tp = &ts;
            }
            const int n = ::kevent(kq_, nullptr, 0, buf_.data(), static_cast<int>(want), tp);
            if (n < 0) {
                if (errno == EINTR) return 0;
                throw std::system_error(errno, std::generic_category(), "kevent");
            }
            bool woken = false;
            const std::size_t count = collect(n, out, woken);
            if (count > 0 || woken || n == 0 || timeout.count() == 0) return count;
            if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) return 0;
        }
    }

    std::size_t collect(int n, std::span<ready_event> out, bool& woken) {
        std::size_t count = 0;
        for (int i = 0; i < n; ++i) {
            const struct kevent& k = buf_[i];
            const int fd = static_cast<int>(k.ident);
            if (fd == wake_.read_fd()) {
                woken = wake_.drain() || woken;
                continue;
            }
            if (!table_.contains(fd)) continue;
            const auto& e = table_.at(fd);
            std::uint32_t bits = 0;
            int error = 0;
            if (k.flags & EV_ERROR) {
                bits = error_event | readable | writable;  // data: why the registration failed
            } else {
                if (k.filter == EVFILT_READ) bits |= readable;
                if (k.filter == EVFILT_WRITE) bits |= writable;
                if (k.flags & EV_EOF) bits |= hangup | (k.filter == EVFILT_READ ? readable : writable);
                // fflags: the socket error. libkqueue reads it from SO_ERROR, which clears it
                // there, so the filter asked second finds none: keep the one that has it.
                if ((k.flags & EV_EOF) && k.fflags != 0) {
                    bits |= error_event;
                    error = static_cast<int>(k.fflags);
                }
            }
            bits &= e.interest | hangup | error_event;
            if (!(bits & (readable | writable))) continue;
            // One event per fd: a second kevent for the same fd (the other filter) merges.
            if (static_cast<std::size_t>(fd) >= slot_.size()) slot_.resize(static_cast<std::size_t>(fd) + 1, npos);
            if (slot_[fd] != npos && slot_[fd] < count && out[slot_[fd]].fd == fd) {
                out[slot_[fd]].events |= bits;
                if (error != 0) out[slot_[fd]].error = error;
                continue;
            }
            if (count == out.size()) continue;  // level-triggered: reported again next call
            slot_[fd] = count;
            out[count++] = ready_event{fd, e.token, bits, error};
        }
        for (std::size_t i = 0; i < count; ++i)
            slot_[out[i].fd] = npos;
        return count;
    }

    void wake() noexcept override { wake_.wake(); }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    void change(int fd, std::uint32_t old, std::uint32_t now) {
        struct kevent ch[2];
        int n = 0;
        if ((now & readable) && !(old & readable)) EV_SET(&ch[n++], fd, EVFILT_READ, EV_ADD, 0, 0, nullptr);
        if ((now & writable) && !(old & writable)) EV_SET(&ch[n++], fd, EVFILT_WRITE, EV_ADD, 0, 0, nullptr);
        if (!(now & readable) && (old & readable)) EV_SET(&ch[n++], fd, EVFILT_READ, EV_DELETE, 0, 0, nullptr);
        if (!(now & writable) && (old & writable)) EV_SET(&ch[n++], fd, EVFILT_WRITE, EV_DELETE, 0, 0, nullptr);
        for (int i = 0; i < n; ++i) {
            if (::kevent(kq_, &ch[i], 1, nullptr, 0, nullptr) == 0) continue;
            const int e = errno;
            if (ch[i].flags & EV_DELETE) continue;  // already gone with a closed fd
            if (e == EBADF) throw bad_fd_error(fd, "not an open file descriptor");
            throw std::system_error(e, std::generic_category(), "kevent(EV_ADD)");
        }
    }

    int kq_;
    wake_fd wake_;
    fd_table table_;
    std::vector<struct kevent> buf_;
    std::vector<std::size_t> slot_;  // fd -> index in out during one select()
};

}  // namespace

std::unique_ptr<selector> make_kqueue_selector() { return std::make_unique<kqueue_selector>(); }

}  // namespace corolla

extern "C" void corolla_backend_anchor_kqueue() {}

namespace {
const bool kqueue_registered = [] {
#if defined(__linux__)
    constexpr int priority = 25;  // the libkqueue emulation: epoll, native here, ranks first
#else
    constexpr int priority = 30;
#endif
    corolla::register_backend({.name = "kqueue",
                               .priority = priority,
                               .auto_eligible = true,
                               .probe = [] { return true; },
                               .make = corolla::make_kqueue_selector});
    return true;
}();
}  // namespace
