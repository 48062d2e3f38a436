#include <corolla/epoll/epoll_selector.hpp>

#include <cerrno>
#include <string>
#include <sys/epoll.h>
#include <system_error>
#include <unistd.h>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/selector_support.hpp>

namespace corolla {
namespace {

std::uint32_t to_epoll(std::uint32_t interest) noexcept {
    return ((interest & readable) ? EPOLLIN : 0u) | ((interest & writable) ? EPOLLOUT : 0u);
}

class epoll_selector final : public selector {
public:
    epoll_selector() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = wake_.read_fd();
        if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_.read_fd(), &ev) != 0) {
            const int e = errno;
            ::close(epfd_);
            throw std::system_error(e, std::generic_category(), "epoll_ctl(wake fd)");
        }
    }
    ~epoll_selector() override { ::close(epfd_); }

    std::string_view name() const noexcept override { return "epoll"; }
    selector_caps caps() const noexcept override { return {.reports_hangup = true, .max_fd = -1}; }
    std::size_t size() const noexcept override { return table_.size(); }

    void add(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_add(fd, interest);
        ctl(EPOLL_CTL_ADD, fd, interest);
        table_.set(fd, interest, token);
    }

    void modify(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_known(fd);
        fd_table::check_interest(interest);
        if (interest != table_.at(fd).interest) ctl(EPOLL_CTL_MOD, fd, interest);
        table_.set(fd, interest, token);
    }

    void remove(int fd) override {
        table_.check_known(fd);
        epoll_event ev{};
        // EBADF / ENOENT: the fd was closed (and maybe reused) since; the kernel already
        // forgot the registration, which is what remove() promises anyway.
        if (::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) != 0 && errno != EBADF && errno != ENOENT)
            throw std::system_error(errno, std::generic_category(), "epoll_ctl(DEL)");
        table_.erase(fd);
    }

    std::size_t select(duration timeout, std::span<ready_event> out) override {
        const std::size_t want = out.size() + 1;  // room for the wake fd
        if (buf_.size() < want) buf_.resize(want);
        const int n = wait(timeout.count(), static_cast<int>(want));
        if (n < 0) {
            if (errno == EINTR) return 0;
            throw std::system_error(errno, std::generic_category(), "epoll_wait");
        }
        std::size_t count = 0;
        for (int i = 0; i < n; ++i) {
            const int fd = buf_[i].data.fd;
            if (fd == wake_.read_fd()) {
                wake_.drain();
                continue;
            }
            if (!table_.contains(fd) || count == out.size()) continue;
            const auto& e = table_.at(fd);
            const std::uint32_t ev = buf_[i].events;
            std::uint32_t bits = 0;
            if (ev & (EPOLLIN | EPOLLPRI)) bits |= readable;
            if (ev & EPOLLOUT) bits |= writable;
            if (ev & EPOLLHUP) bits |= hangup | readable | writable;
            if (ev & EPOLLERR) bits |= error_event | readable | writable;
            bits &= e.interest | hangup | error_event;
            if (bits & (readable | writable)) out[count++] = ready_event{fd, e.token, bits};
        }
        return count;
    }

    void wake() noexcept override { wake_.wake(); }

private:
    void ctl(int op, int fd, std::uint32_t interest) {
        epoll_event ev{};
        ev.events = to_epoll(interest);
        ev.data.fd = fd;
        if (::epoll_ctl(epfd_, op, fd, &ev) == 0) return;
        switch (errno) {
        case EBADF: throw bad_fd_error(fd, "not an open file descriptor");
        case EPERM: throw bad_fd_error(fd, "this kind of file cannot be watched (regular files are always ready)");
        case EEXIST: throw already_registered_error("fd " + std::to_string(fd) + " is already in this epoll set");
        default: throw std::system_error(errno, std::generic_category(), "epoll_ctl");
        }
    }

    int wait(std::int64_t timeout_ns, int max) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
        // Sub-millisecond timers need epoll_pwait2; plain epoll_wait would round them up
        // to a whole millisecond (still never early, just coarse).
        if (timeout_ns > 0 && has_pwait2_) {
            timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
            const int n = ::epoll_pwait2(epfd_, buf_.data(), max, &ts, nullptr);
            if (n >= 0 || (errno != ENOSYS && errno != EPERM)) return n;
            has_pwait2_ = false;
        }
#endif
        return ::epoll_wait(epfd_, buf_.data(), max, static_cast<int>(ceil_millis(timeout_ns)));
    }

    int epfd_;
    wake_fd wake_;
    fd_table table_;
    std::vector<epoll_event> buf_;
    bool has_pwait2_ = true;
};

}  // namespace

std::unique_ptr<selector> make_epoll_selector() { return std::make_unique<epoll_selector>(); }

}  // namespace corolla

// The build links every program against this symbol (-u), so the registration below is
// never dropped from a static library.
extern "C" void corolla_backend_anchor_epoll() {}

namespace {
const bool epoll_registered = [] {
    corolla::register_backend(
        {.name = "epoll", .priority = 30, .auto_eligible = true, .probe = {}, .make = corolla::make_epoll_selector});
    return true;
}();
}  // namespace
