#include <corolla/select/select_selector.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/select.h>
#include <system_error>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/selector_support.hpp>

namespace corolla {
namespace {

class select_selector final : public selector {
public:
    select_selector() {
        if (wake_.read_fd() >= FD_SETSIZE) throw fd_out_of_range_error(wake_.read_fd(), "wake fd is past FD_SETSIZE");
    }

    std::string_view name() const noexcept override { return "select"; }
    selector_caps caps() const noexcept override { return {.reports_hangup = false, .max_fd = FD_SETSIZE - 1}; }
    std::size_t size() const noexcept override { return table_.size(); }

    void add(int fd, std::uint32_t interest, std::uint64_t token) override {
        if (fd >= FD_SETSIZE)
            throw fd_out_of_range_error(fd, "the select backend cannot watch fds >= FD_SETSIZE (" +
                                                std::to_string(FD_SETSIZE) + "); use epoll or poll");
        table_.check_add(fd, interest);
        check_fd_open(fd);
        table_.set(fd, interest, token);
        if (fd > max_fd_) max_fd_ = fd;
    }

    void modify(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_known(fd);
        fd_table::check_interest(interest);
        table_.set(fd, interest, token);
    }

    void remove(int fd) override {
        table_.check_known(fd);
        table_.erase(fd);
        if (fd == max_fd_) {
            max_fd_ = -1;
            table_.for_each([&](int f, const fd_table::entry&) { max_fd_ = f; });
        }
    }

    std::size_t select(duration timeout, std::span<ready_event> out) override {
        fd_set rd, wr;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_SET(wake_.read_fd(), &rd);
        bool any_writer = false;
        table_.for_each([&](int fd, const fd_table::entry& e) {
            if (e.interest & readable) FD_SET(fd, &rd);
            if (e.interest & writable) {
                FD_SET(fd, &wr);
                any_writer = true;
            }
        });
        const int nfds = std::max(max_fd_, wake_.read_fd()) + 1;
        // select() with a timeval (rounded up to whole microseconds, so never early) is
        // cheaper per call than pselect() and sub-microsecond precision buys nothing here.
        const std::int64_t ns = timeout.count();
        const std::int64_t us = ns <= 0 ? 0 : (ns + 999) / 1000;
        timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
        // An empty write set still costs the kernel a copy and a scan: pass none.
        const int n = ::select(nfds, &rd, any_writer ? &wr : nullptr, nullptr, ns < 0 ? nullptr : &tv);
        if (n < 0) {
            if (errno == EINTR) return 0;
            if (errno == EBADF) return report_closed(out);
            throw std::system_error(errno, std::generic_category(), "select");
        }
        if (FD_ISSET(wake_.read_fd(), &rd)) wake_.drain();
        std::size_t count = 0;
        table_.for_each([&](int fd, const fd_table::entry& e) {
            if (count == out.size()) return;
            std::uint32_t bits = (FD_ISSET(fd, &rd) ? readable : 0u) | (FD_ISSET(fd, &wr) ? writable : 0u);
            if (bits) out[count++] = ready_event{fd, e.token, bits};
        });
        return count;
    }

    void wake() noexcept override { wake_.wake(); }

private:
    // select() fails as a whole when any fd in the sets is closed. Report each closed
    // registered fd as ready (with error_event) so its owner's callback runs and finds
    // out, instead of failing every iteration.
    std::size_t report_closed(std::span<ready_event> out) {
        std::size_t count = 0;
        table_.for_each([&](int fd, const fd_table::entry& e) {
            if (count < out.size() && ::fcntl(fd, F_GETFD) == -1 && errno == EBADF)
                out[count++] = ready_event{fd, e.token, e.interest | error_event};
        });
        return count;
    }

    wake_fd wake_;
    fd_table table_;
    int max_fd_ = -1;
};

}  // namespace

std::unique_ptr<selector> make_select_selector() { return std::make_unique<select_selector>(); }

}  // namespace corolla

extern "C" void corolla_backend_anchor_select() {}

namespace {
const bool select_registered = [] {
    corolla::register_backend(
        {.name = "select", .priority = 10, .auto_eligible = true, .probe = {}, .make = corolla::make_select_selector});
    return true;
}();
}  // namespace
