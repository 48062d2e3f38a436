// The io_uring selector's completion_io: socket and file operations the kernel performs
// itself (recv, send, accept, connect, read, write, recvmsg, sendmsg, on registered
// buffers where they fit; pread, pwrite and fsync on regular files), retried behind a linked poll after EAGAIN,
// cancelled by address; and one multishot accept per listener feeding its waiting accepts.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "io_uring_selector_impl.hpp"

namespace corolla::detail {

bool io_uring_selector::submit(detail::io_request& r) {
    if (!native_[static_cast<std::size_t>(r.args.kind)]) return false;
    if (multishot_ && r.args.kind == detail::io_kind::accept)
        accept_submit(r);
    else
        prep(r, false);
    r.add_ref();  // released by the loop after take_completed
    return true;
}

bool io_uring_selector::try_complete(detail::io_args& a) {
    if (!multishot_ || a.kind != detail::io_kind::accept) return false;
    auto it = acceptors_.find(a.fd);
    if (it == acceptors_.end() || it->second.ready.empty()) return false;
    const int c = it->second.ready.front();
    it->second.ready.pop_front();
    accepted(a, c);
    return true;
}

void io_uring_selector::release(int fd) noexcept {
    auto it = acceptors_.find(fd);
    if (it == acceptors_.end()) return;
    acceptor& a = it->second;
    for (int c : a.ready)
        ::close(c);
    try {
        if (a.armed) {
            // The multishot accept holds the listener open: stop it now, not at the
            // next select, so the port is free once the socket is closed.
            io_uring_sqe* e = sqe();
            ::io_uring_prep_cancel64(e, fd_data(fd, a.gen, tag_accept), 0);
            ::io_uring_sqe_set_data64(e, tag_ignore);
            ::io_uring_submit(&ring_);
            reap();
        }
    } catch (...) {  // no submission slot: the ring's exit stops it
    }
    // Completions of this generation still to come find no acceptor: their
    // connections are closed (the waiters were cancelled before release).
    acceptors_.erase(fd);
}

void io_uring_selector::cancel(detail::io_request& r) {
    if (multishot_ && r.args.kind == detail::io_kind::accept) {
        // Waiting on the listener's multishot accept: nothing in the kernel is its own.
        auto it = acceptors_.find(r.args.fd);
        if (it != acceptors_.end()) {
            auto& w = it->second.waiters;
            if (auto pos = std::find(w.begin(), w.end(), &r); pos != w.end()) {
                w.erase(pos);
                r.args.err = ECANCELED;
                completed_.push_back(&r);
            }
        }
        return;  // else completed already (in completed_)
    }
    // The request itself, and the poll it may wait behind (a linked request does not
    // start, so cannot be found, until its poll completes; cancelling the poll fails
    // the link with ECANCELED).
    for (std::uint64_t target :
         {reinterpret_cast<std::uint64_t>(&r), reinterpret_cast<std::uint64_t>(&r) | tag_linked_poll}) {
        io_uring_sqe* e = sqe();
        ::io_uring_prep_cancel64(e, target, 0);
        ::io_uring_sqe_set_data64(e, tag_ignore);
    }
}

void io_uring_selector::cancel_and_wait(detail::io_request& r) noexcept {
    try {
        cancel(r);
        for (;;) {
            for (detail::io_request* c : completed_)
                if (c == &r) return;
            const int rc = ::io_uring_submit_and_wait(&ring_, 1);
            if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) return;
            reap();
        }
    } catch (...) {  // no submission slot: nothing better to do than give up waiting
    }
}

void io_uring_selector::take_completed(std::vector<detail::io_request*>& out) {
    out.insert(out.end(), completed_.begin(), completed_.end());
    completed_.clear();
}

void io_uring_selector::prep(detail::io_request& r, bool after_poll) {
    detail::io_args& a = r.args;
    if (after_poll) {
        io_uring_sqe* p = sqe();
        ::io_uring_prep_poll_add(p, a.fd, a.reads() ? POLLIN : POLLOUT);
        ::io_uring_sqe_set_data64(p, reinterpret_cast<std::uint64_t>(&r) | tag_linked_poll);
        p->flags |= IOSQE_IO_LINK;
    }
    io_uring_sqe* e = sqe();
    auto* base = static_cast<char*>(a.buf);
    switch (a.kind) {
    case detail::io_kind::recv:
        if (int i = a.flags == 0 ? fixed_index(a.buf, a.len) : -1; i >= 0)
            ::io_uring_prep_read_fixed(e, a.fd, a.buf, static_cast<unsigned>(a.len), ~0ull, i);
        else
            ::io_uring_prep_recv(e, a.fd, a.buf, a.len, a.flags);
        break;
    case detail::io_kind::send: ::io_uring_prep_send(e, a.fd, a.buf, a.len, a.flags | MSG_NOSIGNAL); break;
    case detail::io_kind::send_all:
        ::io_uring_prep_send(e, a.fd, base + a.res, a.len - static_cast<std::size_t>(a.res), a.flags | MSG_NOSIGNAL);
        break;
    case detail::io_kind::accept:
        ::io_uring_prep_accept(e, a.fd, static_cast<sockaddr*>(a.addr), reinterpret_cast<socklen_t*>(&a.addrlen),
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
    case detail::io_kind::connect:
        ::io_uring_prep_connect(e, a.fd, static_cast<const sockaddr*>(a.addr), static_cast<socklen_t>(a.addrlen));
        break;
    case detail::io_kind::read:
        if (int i = fixed_index(a.buf, a.len); i >= 0)
            ::io_uring_prep_read_fixed(e, a.fd, a.buf, static_cast<unsigned>(a.len), ~0ull, i);
        else
            ::io_uring_prep_read(e, a.fd, a.buf, static_cast<unsigned>(a.len), ~0ull);
        break;
    case detail::io_kind::write:
        if (int i = fixed_index(a.buf, a.len); i >= 0)
            ::io_uring_prep_write_fixed(e, a.fd, a.buf, static_cast<unsigned>(a.len), ~0ull, i);
        else
            ::io_uring_prep_write(e, a.fd, a.buf, static_cast<unsigned>(a.len), ~0ull);
        break;
    case detail::io_kind::pread:
        ::io_uring_prep_read(e, a.fd, a.buf, static_cast<unsigned>(a.len), static_cast<std::uint64_t>(a.offset));
        break;
    case detail::io_kind::pwrite:
        ::io_uring_prep_write(e, a.fd, a.buf, static_cast<unsigned>(a.len), static_cast<std::uint64_t>(a.offset));
        break;
    case detail::io_kind::fsync: ::io_uring_prep_fsync(e, a.fd, a.flags == 1 ? IORING_FSYNC_DATASYNC : 0); break;
    case detail::io_kind::recvfrom: ::io_uring_prep_recvmsg(e, a.fd, message_for(r), a.flags); break;
    case detail::io_kind::sendto: ::io_uring_prep_sendmsg(e, a.fd, message_for(r), a.flags | MSG_NOSIGNAL); break;
    default: break;  // not native (submit() refused it)
    }
    ::io_uring_sqe_set_data64(e, reinterpret_cast<std::uint64_t>(&r));
}

void io_uring_selector::on_request(detail::io_request& r, int res) {
    detail::io_args& a = r.args;
    if (a.kind == detail::io_kind::connect && (res == -EISCONN)) res = 0;
    if (res == -EAGAIN || res == -EINTR ||
        (a.kind == detail::io_kind::connect && (res == -EINPROGRESS || res == -EALREADY))) {
        if (!r.cancel_requested) {
            prep(r, true);  // wait for readiness in the kernel, then try again
            return;
        }
        res = -ECANCELED;
    }
    if (a.kind == detail::io_kind::recvfrom || a.kind == detail::io_kind::sendto) {
        auto it = messages_.find(&r);
        if (it != messages_.end()) {
            if (a.kind == detail::io_kind::recvfrom && res >= 0) a.addrlen = it->second->h.msg_namelen;
            spare_messages_.push_back(std::move(it->second));
            messages_.erase(it);
        }
    }
    if (res < 0) {
        a.err = -res;
    } else if (a.kind == detail::io_kind::send_all) {
        a.res += res;
        if (static_cast<std::size_t>(a.res) < a.len && !r.cancel_requested) {
            prep(r, false);  // a short send: the rest
            return;
        }
        a.err = 0;
    } else {
        a.res = res;
        a.err = 0;
    }
    completed_.push_back(&r);
}

int io_uring_selector::fixed_index(const void* buf, std::size_t len) noexcept {
    const auto* p = static_cast<const std::byte*>(buf);
    for (std::size_t i = 0; i < fixed_.size(); ++i) {
        const auto* b = static_cast<const std::byte*>(fixed_[i].iov_base);
        if (p >= b && len <= fixed_[i].iov_len && static_cast<std::size_t>(p - b) <= fixed_[i].iov_len - len) {
            ++fixed_ops_;
            return static_cast<int>(i);
        }
    }
    return -1;
}

msghdr* io_uring_selector::message_for(detail::io_request& r) {
    std::unique_ptr<message>& m = messages_[&r];
    if (!m) {
        if (spare_messages_.empty()) {
            m = std::make_unique<message>();
        } else {
            m = std::move(spare_messages_.back());
            spare_messages_.pop_back();
        }
    }
    detail::io_args& a = r.args;
    m->v = iovec{a.buf, a.len};
    m->h = msghdr{};
    m->h.msg_iov = &m->v;
    m->h.msg_iovlen = 1;
    m->h.msg_name = a.addr;
    m->h.msg_namelen = a.addrlen;
    return &m->h;
}

void io_uring_selector::accept_submit(detail::io_request& r) {
    acceptor& a = acceptors_[r.args.fd];
    if (a.gen == 0) a.gen = ++acceptor_gen_;
    if (!a.ready.empty()) {
        const int c = a.ready.front();
        a.ready.pop_front();
        accepted(r.args, c);
        completed_.push_back(&r);
        return;
    }
    a.waiters.push_back(&r);
    if (!a.armed) arm_accept(r.args.fd, a);
}

void io_uring_selector::arm_accept(int fd, acceptor& a) {
    io_uring_sqe* e = sqe();
    ::io_uring_prep_multishot_accept(e, fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    ::io_uring_sqe_set_data64(e, fd_data(fd, a.gen, tag_accept));
    a.armed = true;
    a.stopping = false;
}

void io_uring_selector::accepted(detail::io_args& a, int c) noexcept {
    a.res = c;
    a.err = 0;
    if (a.addr) {
        auto len = static_cast<socklen_t>(a.addrlen);
        a.addrlen = ::getpeername(c, static_cast<sockaddr*>(a.addr), &len) == 0 ? len : 0;
    }
}

void io_uring_selector::on_accept(std::uint64_t v, int res, unsigned flags) {
    const int fd = static_cast<int>(v & 0xffffffffu);
    const auto gen = static_cast<std::uint32_t>(v >> 32);
    auto it = acceptors_.find(fd);
    if (it == acceptors_.end() || it->second.gen != gen) {  // released since
        if (res >= 0) ::close(res);
        return;
    }
    acceptor& a = it->second;
    if (res == -EINVAL && a.ready.empty() && !(flags & IORING_CQE_F_MORE)) {
        // A kernel without multishot accept (before 5.19): single-shot from now on.
        multishot_ = false;
        a.armed = false;
        for (detail::io_request* r : a.waiters)
            prep(*r, false);
        acceptors_.erase(it);
        return;
    }
    if (res >= 0) {
        if (!a.waiters.empty()) {
            detail::io_request* r = a.waiters.front();
            a.waiters.pop_front();
            accepted(r->args, res);
            completed_.push_back(r);
        } else {
            a.ready.push_back(res);
        }
    } else if (res != -ECANCELED && !a.waiters.empty()) {
        // EMFILE and the like end the multishot: the oldest accept reports it.
        detail::io_request* r = a.waiters.front();
        a.waiters.pop_front();
        r->args.err = -res;
        completed_.push_back(r);
    }
    if (!(flags & IORING_CQE_F_MORE)) {
        a.armed = false;
        if (!a.waiters.empty()) arm_accept(fd, a);
    } else if (a.ready.size() >= stash_limit && !a.stopping) {
        io_uring_sqe* e = sqe();
        ::io_uring_prep_cancel64(e, fd_data(fd, a.gen, tag_accept), 0);
        ::io_uring_sqe_set_data64(e, tag_ignore);
        a.stopping = true;
    }
}

}  // namespace corolla::detail
