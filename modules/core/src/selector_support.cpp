#include <corolla/core/selector_support.hpp>

#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#endif

#include <corolla/core/errors.hpp>
#include <corolla/core/selector.hpp>

namespace corolla {

void check_fd_open(int fd) {
    if (fd < 0) throw bad_fd_error(fd, "negative file descriptor");
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) throw bad_fd_error(fd, "not an open file descriptor");
}

void fd_table::check_interest(std::uint32_t interest) {
    if (interest == 0 || (interest & ~(readable | writable)) != 0)
        throw std::invalid_argument("selector interest must be a non-empty mix of readable and writable");
}

void fd_table::check_add(int fd, std::uint32_t interest) const {
    if (fd < 0) throw bad_fd_error(fd, "negative file descriptor");
    check_interest(interest);
    if (contains(fd)) throw already_registered_error("fd " + std::to_string(fd) + " is already registered");
}

void fd_table::check_known(int fd) const {
    if (!contains(fd)) throw not_registered_error("fd " + std::to_string(fd) + " is not registered");
}

void fd_table::set(int fd, std::uint32_t interest, std::uint64_t token) {
    if (static_cast<std::size_t>(fd) >= entries_.size()) entries_.resize(static_cast<std::size_t>(fd) + 1);
    if (entries_[fd].interest == 0) ++count_;
    entries_[fd] = entry{interest, token};
}

void fd_table::erase(int fd) noexcept {
    if (!contains(fd)) return;
    entries_[fd] = entry{};
    --count_;
}

wake_fd::wake_fd() {
#if defined(__linux__)
    read_fd_ = write_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (read_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
#else
    int p[2];
    if (::pipe(p) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    for (int fd : p) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    read_fd_ = p[0];
    write_fd_ = p[1];
#endif
}

wake_fd::~wake_fd() {
    if (write_fd_ != read_fd_) ::close(write_fd_);
    ::close(read_fd_);
}

void wake_fd::wake() noexcept {
    if (pending_.exchange(true, std::memory_order_acq_rel)) return;
    const int saved = errno;  // may run inside a signal handler
#if defined(__linux__)
    const std::uint64_t one = 1;
    ssize_t r;
    do
        r = ::write(write_fd_, &one, sizeof one);
    while (r < 0 && errno == EINTR);
#else
    const char b = 0;
    ssize_t r;
    do
        r = ::write(write_fd_, &b, 1);
    while (r < 0 && errno == EINTR);
#endif
    errno = saved;
}

bool wake_fd::drain() noexcept {
    // Read first, then re-arm. A wake() racing with this either lands before the reset
    // (it is absorbed: the selector is returning anyway and its caller re-checks its
    // queues afterwards) or after it (it writes again and the next select returns).
    // Resetting before the read could leave the flag set with the fd empty, and every
    // later wake() would then be skipped: a lost wakeup.
    char buf[64];
    bool woken = false;
    while (::read(read_fd_, buf, sizeof buf) > 0)
        woken = true;
    pending_.store(false, std::memory_order_release);
    return woken;
}

}  // namespace corolla
