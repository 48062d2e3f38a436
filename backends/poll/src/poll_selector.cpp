#include <corolla/poll/poll_selector.hpp>

#include <cerrno>
#include <poll.h>
#include <system_error>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/selector_support.hpp>

namespace corolla {
namespace {

short to_poll(std::uint32_t interest) noexcept {
    return static_cast<short>(((interest & readable) ? POLLIN : 0) | ((interest & writable) ? POLLOUT : 0));
}

class poll_selector final : public selector {
public:
    poll_selector() { fds_.push_back(pollfd{wake_.read_fd(), POLLIN, 0}); }

    std::string_view name() const noexcept override { return "poll"; }
    selector_caps caps() const noexcept override { return {.reports_hangup = true, .max_fd = -1}; }
    std::size_t size() const noexcept override { return table_.size(); }

    void add(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_add(fd, interest);
        check_fd_open(fd);
        if (static_cast<std::size_t>(fd) >= index_.size()) index_.resize(static_cast<std::size_t>(fd) + 1, 0);
        fds_.push_back(pollfd{fd, to_poll(interest), 0});
        index_[fd] = fds_.size() - 1;
        table_.set(fd, interest, token);
    }

    void modify(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_known(fd);
        fd_table::check_interest(interest);
        fds_[index_[fd]].events = to_poll(interest);
        table_.set(fd, interest, token);
    }

    void remove(int fd) override {
        table_.check_known(fd);
        const std::size_t i = index_[fd];
        if (i != fds_.size() - 1) {
            fds_[i] = fds_.back();
            index_[fds_[i].fd] = i;
        }
        fds_.pop_back();
        table_.erase(fd);
    }

    std::size_t select(duration timeout, std::span<ready_event> out) override {
        const std::int64_t ns = timeout.count();
        int n;
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
        // ppoll only for sub-millisecond precision: it costs more than poll per call.
        if (ns > 0 && ns % 1'000'000 != 0) {
            timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
            n = ::ppoll(fds_.data(), fds_.size(), &ts, nullptr);
        } else
#endif
            n = ::poll(fds_.data(), fds_.size(), static_cast<int>(ceil_millis(ns)));
        if (n < 0) {
            if (errno == EINTR) return 0;
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        if (fds_[0].revents != 0) wake_.drain();
        std::size_t count = 0;
        for (std::size_t i = 1; i < fds_.size() && count < out.size(); ++i) {
            const short rev = fds_[i].revents;
            if (rev == 0) continue;
            const int fd = fds_[i].fd;
            const auto& e = table_.at(fd);
            std::uint32_t bits = 0;
            if (rev & (POLLIN | POLLPRI)) bits |= readable;
            if (rev & POLLOUT) bits |= writable;
            if (rev & POLLHUP) bits |= hangup | readable | writable;
            if (rev & (POLLERR | POLLNVAL)) bits |= error_event | readable | writable;
            bits &= e.interest | hangup | error_event;
            if (bits & (readable | writable)) out[count++] = ready_event{fd, e.token, bits};
        }
        return count;
    }

    void wake() noexcept override { wake_.wake(); }

private:
    wake_fd wake_;
    fd_table table_;
    std::vector<pollfd> fds_;         // [0] is the wake fd
    std::vector<std::size_t> index_;  // fd -> position in fds_
};

}  // namespace

std::unique_ptr<selector> make_poll_selector() { return std::make_unique<poll_selector>(); }

}  // namespace corolla

extern "C" void corolla_backend_anchor_poll() {}

namespace {
const bool poll_registered = [] {
    corolla::register_backend(
        {.name = "poll", .priority = 20, .auto_eligible = true, .probe = {}, .make = corolla::make_poll_selector});
    return true;
}();
}  // namespace
