// The io_uring selector's readiness side (the selector contract): fds registered with an
// interest get one-shot polls, re-armed after each report so readiness stays
// level-triggered; select() submits, waits and hands out one event per ready fd.
#include <poll.h>

#include <cerrno>
#include <system_error>

#include "io_uring_selector_impl.hpp"

namespace corolla::detail {
namespace {

unsigned to_poll(std::uint32_t interest) noexcept {
    return ((interest & readable) ? POLLIN | POLLRDHUP : 0u) | ((interest & writable) ? POLLOUT : 0u);
}

}  // namespace

void io_uring_selector::add(int fd, std::uint32_t interest, std::uint64_t token) {
    table_.check_add(fd, interest);
    check_fd_open(fd);
    state& s = state_for(fd);
    ++s.gen;
    table_.set(fd, interest, token);
    arm(fd, s, interest);
}

void io_uring_selector::modify(int fd, std::uint32_t interest, std::uint64_t token) {
    table_.check_known(fd);
    fd_table::check_interest(interest);
    const std::uint32_t old = table_.at(fd).interest;
    table_.set(fd, interest, token);
    if (interest == old) return;
    state& s = states_[fd];
    disarm(fd, s);
    arm(fd, s, interest);
}

void io_uring_selector::remove(int fd) {
    table_.check_known(fd);
    disarm(fd, states_[fd]);
    table_.erase(fd);
}

std::size_t io_uring_selector::select(duration timeout, std::span<ready_event> out) {
    rearm_reported();
    int rc;
    io_uring_cqe* cqe = nullptr;
    if (timeout.count() == 0 || next_ < queued_.size() || !completed_.empty()) {
        rc = ::io_uring_submit(&ring_);
        if (sqpoll_) rc = settle_sqpoll(rc);
    } else if (timeout.count() < 0) {
        rc = ::io_uring_submit_and_wait(&ring_, 1);
    } else {
        __kernel_timespec ts{};
        ts.tv_sec = timeout.count() / 1'000'000'000;
        ts.tv_nsec = timeout.count() % 1'000'000'000;
        rc = ::io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
        throw std::system_error(-rc, std::generic_category(), "io_uring_enter");
    reap();
    // One event per fd, in the order the kernel reported them; an fd removed or
    // re-registered since its report is skipped.
    std::size_t n = 0;
    while (n < out.size() && next_ < queued_.size()) {
        const int fd = queued_[next_++];
        state& st = states_[fd];
        if (!st.queued) continue;
        st.queued = false;
        if (!table_.contains(fd)) continue;
        const auto& e = table_.at(fd);
        const std::uint32_t bits = st.bits & (e.interest | hangup | error_event);
        if (bits & (readable | writable)) out[n++] = ready_event{fd, e.token, bits};
    }
    if (next_ == queued_.size()) {
        queued_.clear();
        next_ = 0;
    }
    return n;
}

io_uring_selector::state& io_uring_selector::state_for(int fd) {
    if (static_cast<std::size_t>(fd) >= states_.size()) states_.resize(static_cast<std::size_t>(fd) + 1);
    return states_[fd];
}

void io_uring_selector::arm(int fd, state& s, std::uint32_t interest) {
    io_uring_sqe* e = sqe();
    ::io_uring_prep_poll_add(e, fd, to_poll(interest));
    ::io_uring_sqe_set_data64(e, poll_data(fd, s.gen));
    s.armed = true;
}

void io_uring_selector::disarm(int fd, state& s) {
    s.queued = false;  // a report not handed out yet belongs to the old registration
    if (s.armed) {
        io_uring_sqe* e = sqe();
        ::io_uring_prep_poll_remove(e, poll_data(fd, s.gen));
        ::io_uring_sqe_set_data64(e, tag_ignore);
        s.armed = false;
    }
    ++s.gen;
}

void io_uring_selector::arm_wake() {
    io_uring_sqe* e = sqe();
    ::io_uring_prep_poll_add(e, wake_.read_fd(), POLLIN);
    ::io_uring_sqe_set_data64(e, tag_wake);
}

void io_uring_selector::rearm_reported() {
    std::size_t keep = 0;
    for (int fd : reported_) {
        state& s = states_[fd];
        if (s.queued) {
            reported_[keep++] = fd;
            continue;
        }
        s.reported = false;
        if (table_.contains(fd) && !s.armed) arm(fd, s, table_.at(fd).interest);
    }
    reported_.resize(keep);
}

void io_uring_selector::reap() {
    for (int rounds = 0; reap_queue() && rounds < 64; ++rounds) {
        if (!(IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW)) break;
        if (::io_uring_get_events(&ring_) < 0) break;
    }
}

bool io_uring_selector::reap_queue() {
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        const std::uint64_t data = ::io_uring_cqe_get_data64(cqe);
        switch (data & 7u) {
        case tag_wake:
            wake_.drain();
            arm_wake();
            break;
        case tag_poll: on_poll(data >> 3, cqe->res); break;
        case tag_request: on_request(*reinterpret_cast<detail::io_request*>(data), cqe->res); break;
        case tag_accept: on_accept(data >> 3, cqe->res, cqe->flags); break;
        default: break;
        }
    }
    ::io_uring_cq_advance(&ring_, seen);
    return seen != 0;
}

void io_uring_selector::on_poll(std::uint64_t v, int res) {
    const int fd = static_cast<int>(v & 0xffffffffu);
    const auto gen = static_cast<std::uint32_t>(v >> 32);
    if (!table_.contains(fd) || fd >= static_cast<int>(states_.size())) return;
    state& s = states_[fd];
    if (s.gen != gen || !s.armed) return;  // withdrawn or re-registered since
    s.armed = false;
    const auto& e = table_.at(fd);
    std::uint32_t bits = 0;
    if (res < 0) {
        bits = error_event | readable | writable;  // e.g. the fd was closed under the poll
    } else {
        const auto ev = static_cast<unsigned>(res);
        if (ev & (POLLIN | POLLPRI | POLLRDHUP)) bits |= readable;
        if (ev & POLLOUT) bits |= writable;
        if (ev & POLLHUP) bits |= hangup | readable | writable;
        if (ev & POLLERR) bits |= error_event | readable | writable;
    }
    bits &= e.interest | hangup | error_event;
    if (!s.reported) {
        s.reported = true;
        reported_.push_back(fd);
    }
    if (s.queued) {
        s.bits |= bits;
    } else {
        s.queued = true;
        s.bits = bits;
        queued_.push_back(fd);
    }
}

}  // namespace corolla::detail
