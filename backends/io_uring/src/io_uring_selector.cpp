#include <corolla/io_uring/io_uring_selector.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <liburing.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/detail/io_request.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/selector_support.hpp>

namespace corolla {
namespace {

// user_data of a submission: the low three bits say what it is (requests are 8-aligned).
enum tag : std::uint64_t {
    tag_request = 0,      // an io_request: its address
    tag_poll = 1,         // readiness of a registered fd: (generation << 32 | fd) << 3
    tag_wake = 2,         // the wake fd's poll
    tag_ignore = 3,       // poll_remove, cancels: nothing to do on completion
    tag_linked_poll = 4,  // the poll linked before a request that met EAGAIN: address | 4
    tag_accept = 5,       // a listener's multishot accept: (generation << 32 | fd) << 3
};

std::uint64_t fd_data(int fd, std::uint32_t gen, tag t) noexcept {
    return ((static_cast<std::uint64_t>(gen) << 32 | static_cast<std::uint32_t>(fd)) << 3) | t;
}
std::uint64_t poll_data(int fd, std::uint32_t gen) noexcept { return fd_data(fd, gen, tag_poll); }

unsigned to_poll(std::uint32_t interest) noexcept {
    return ((interest & readable) ? POLLIN | POLLRDHUP : 0u) | ((interest & writable) ? POLLOUT : 0u);
}

// Readiness (the selector contract) is kept level-triggered with one-shot poll requests:
// each report is followed by a fresh poll at the next select(), which completes at once if
// the fd is still ready. A multishot poll reports edges (new wake-ups), so an fd whose data
// a callback left unread would never be reported again; one-shot polls cost no extra
// syscall since they are batched into the submission select() makes anyway.
class io_uring_selector final : public selector, public completion_io {
public:
    explicit io_uring_selector(const io_uring_options& o) : sqpoll_(o.sqpoll), multishot_(o.multishot_accept) {
        if (o.entries == 0 || o.entries > 32768)
            throw std::invalid_argument("io_uring: entries must be 1..32768, not " + std::to_string(o.entries));
        if (o.cq_entries != 0 && (o.cq_entries < o.entries || o.cq_entries > 65536))
            throw std::invalid_argument("io_uring: cq_entries must be 0 or entries..65536, not " +
                                        std::to_string(o.cq_entries));
        auto params = [&o](unsigned extra) {
            io_uring_params p{};
            p.flags = extra;
            if (o.cq_entries != 0) {
                p.flags |= IORING_SETUP_CQSIZE;
                p.cq_entries = o.cq_entries;
            }
            if (o.sqpoll) {
                p.flags |= IORING_SETUP_SQPOLL;
                p.sq_thread_idle = static_cast<unsigned>(std::max<long long>(1, o.sqpoll_idle.count()));
            }
            return p;
        };
        io_uring_params p = params(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN);
        int rc = ::io_uring_queue_init_params(o.entries, &ring_, &p);
        if (rc == -EINVAL) {  // an older kernel without those flags
            p = params(0);
            rc = ::io_uring_queue_init_params(o.entries, &ring_, &p);
        }
        if (rc < 0)
            throw backend_unavailable_error(std::string("io_uring: io_uring_queue_init failed") +
                                            (o.sqpoll ? " (with SQPOLL)" : "") + ": " + std::strerror(-rc));
        arm_wake();
        if (o.native_io) probe_opcodes();
        multishot_ = multishot_ && native_[static_cast<std::size_t>(detail::io_kind::accept)];
    }
    ~io_uring_selector() override {
        ::io_uring_queue_exit(&ring_);
        for (auto& [fd, a] : acceptors_)
            for (int c : a.ready)
                ::close(c);
    }

    void register_buffers(std::span<const std::span<std::byte>> buffers) {
        if (!fixed_.empty()) {
            const int rc = ::io_uring_unregister_buffers(&ring_);
            if (rc < 0) throw std::system_error(-rc, std::generic_category(), "io_uring_unregister_buffers");
            fixed_.clear();
        }
        if (buffers.empty()) return;
        std::vector<iovec> v;
        v.reserve(buffers.size());
        for (auto b : buffers) {
            if (b.empty()) throw std::invalid_argument("io_uring_register_buffers: an empty buffer");
            v.push_back(iovec{b.data(), b.size()});
        }
        const int rc = ::io_uring_register_buffers(&ring_, v.data(), static_cast<unsigned>(v.size()));
        if (rc < 0) throw std::system_error(-rc, std::generic_category(), "io_uring_register_buffers");
        fixed_ = std::move(v);
    }
    std::size_t fixed_operations() const noexcept { return fixed_ops_; }

    std::string_view name() const noexcept override { return "io_uring"; }
    selector_caps caps() const noexcept override { return {.reports_hangup = true, .max_fd = -1}; }
    std::size_t size() const noexcept override { return table_.size(); }

    void add(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_add(fd, interest);
        check_fd_open(fd);
        state& s = state_for(fd);
        ++s.gen;
        table_.set(fd, interest, token);
        arm(fd, s, interest);
    }

    void modify(int fd, std::uint32_t interest, std::uint64_t token) override {
        table_.check_known(fd);
        fd_table::check_interest(interest);
        const std::uint32_t old = table_.at(fd).interest;
        table_.set(fd, interest, token);
        if (interest == old) return;
        state& s = states_[fd];
        disarm(fd, s);
        arm(fd, s, interest);
    }

    void remove(int fd) override {
        table_.check_known(fd);
        disarm(fd, states_[fd]);
        table_.erase(fd);
    }

    std::size_t select(duration timeout, std::span<ready_event> out) override {
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

    void wake() noexcept override { wake_.wake(); }

    completion_io* completion() noexcept override { return native_any_ ? this : nullptr; }

    // --- completion_io -----------------------------------------------------------------

    bool submit(detail::io_request& r) override {
        if (!native_[static_cast<std::size_t>(r.args.kind)]) return false;
        if (multishot_ && r.args.kind == detail::io_kind::accept)
            accept_submit(r);
        else
            prep(r, false);
        r.add_ref();  // released by the loop after take_completed
        return true;
    }

    bool try_complete(detail::io_args& a) override {
        if (!multishot_ || a.kind != detail::io_kind::accept) return false;
        auto it = acceptors_.find(a.fd);
        if (it == acceptors_.end() || it->second.ready.empty()) return false;
        const int c = it->second.ready.front();
        it->second.ready.pop_front();
        accepted(a, c);
        return true;
    }

    void release(int fd) noexcept override {
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

    void cancel(detail::io_request& r) override {
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

    void cancel_and_wait(detail::io_request& r) noexcept override {
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

    void take_completed(std::vector<detail::io_request*>& out) override {
        out.insert(out.end(), completed_.begin(), completed_.end());
        completed_.clear();
    }

private:
    /// Which io_kinds the running kernel performs natively (probed once). The others, and
    /// all of them with COROLLA_IO_URING_NATIVE=0 in the environment, use readiness.
    void probe_opcodes() {
        io_uring_probe* p = ::io_uring_get_probe_ring(&ring_);
        if (!p) return;
        auto has = [p](int op) { return ::io_uring_opcode_supported(p, op) != 0; };
        using detail::io_kind;
        auto set = [this](io_kind k, bool on) {
            native_[static_cast<std::size_t>(k)] = on;
            native_any_ = native_any_ || on;
        };
        set(io_kind::recv, has(IORING_OP_RECV));
        set(io_kind::send, has(IORING_OP_SEND));
        set(io_kind::send_all, has(IORING_OP_SEND));
        set(io_kind::accept, has(IORING_OP_ACCEPT));
        set(io_kind::connect, has(IORING_OP_CONNECT));
        set(io_kind::read, has(IORING_OP_READ));
        set(io_kind::write, has(IORING_OP_WRITE));
        set(io_kind::recvfrom, has(IORING_OP_RECVMSG));
        set(io_kind::sendto, has(IORING_OP_SENDMSG));
        ::io_uring_free_probe(p);
    }

    /// Queues r's syscall; `after_poll` first waits for readiness (linked poll), for a
    /// request the kernel answered with EAGAIN.
    void prep(detail::io_request& r, bool after_poll) {
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
            ::io_uring_prep_send(e, a.fd, base + a.res, a.len - static_cast<std::size_t>(a.res),
                                 a.flags | MSG_NOSIGNAL);
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
        case detail::io_kind::recvfrom: ::io_uring_prep_recvmsg(e, a.fd, message_for(r), a.flags); break;
        case detail::io_kind::sendto: ::io_uring_prep_sendmsg(e, a.fd, message_for(r), a.flags | MSG_NOSIGNAL); break;
        default: break;  // not native (submit() refused it)
        }
        ::io_uring_sqe_set_data64(e, reinterpret_cast<std::uint64_t>(&r));
    }

    void on_request(detail::io_request& r, int res) {
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

    // --- multishot accept ----------------------------------------------------------------
    // One IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT per listener takes connections in as
    // they come: each goes to the oldest waiting accept, or waits in `ready` for the next
    // (which then completes without a syscall, through try_complete). A multishot accept
    // cannot return each connection's peer address (they share one buffer), so it is asked
    // with getpeername. The kernel takes in all connections queued when it runs the accept,
    // so a burst lands in `ready` whole; once `ready` holds stash_limit the multishot is
    // cancelled and the listen backlog holds further connections, as without it; the next
    // accept finding `ready` empty arms it again.
    static constexpr std::size_t stash_limit = 32;

    struct acceptor {
        std::uint32_t gen = 0;
        bool armed = false;     // a multishot accept of generation `gen` is outstanding
        bool stopping = false;  // and its cancel was asked
        std::deque<detail::io_request*> waiters;
        std::deque<int> ready;  // connections taken in, not handed out yet
    };

    void accept_submit(detail::io_request& r) {
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

    void arm_accept(int fd, acceptor& a) {
        io_uring_sqe* e = sqe();
        ::io_uring_prep_multishot_accept(e, fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        ::io_uring_sqe_set_data64(e, fd_data(fd, a.gen, tag_accept));
        a.armed = true;
        a.stopping = false;
    }

    /// Fills an accept's outcome with connection c (its peer address from getpeername;
    /// empty when the peer is already gone, as the first read will report).
    static void accepted(detail::io_args& a, int c) noexcept {
        a.res = c;
        a.err = 0;
        if (a.addr) {
            auto len = static_cast<socklen_t>(a.addrlen);
            a.addrlen = ::getpeername(c, static_cast<sockaddr*>(a.addr), &len) == 0 ? len : 0;
        }
    }

    void on_accept(std::uint64_t v, int res, unsigned flags) {
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

    /// The registered buffer holding [buf, buf + len), or -1.
    int fixed_index(const void* buf, std::size_t len) noexcept {
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

    /// recvmsg / sendmsg need a msghdr that lives until the completion: one per request
    /// in flight, recycled (set up again for a retry after EAGAIN: the kernel wrote
    /// msg_namelen).
    struct message {
        msghdr h{};
        iovec v{};
    };
    msghdr* message_for(detail::io_request& r) {
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

    /// With SQPOLL the kernel thread takes submissions on its own time; a poll that must
    /// not wait (timeout 0) first lets it take what is queued, so the readiness it reports
    /// is as fresh as without SQPOLL (a zero-timeout select after a write sees it).
    int settle_sqpoll(int rc) {
        for (int spins = 0; ::io_uring_sq_ready(&ring_) != 0 && spins < 1'000'000; ++spins) {
            if ((spins & 1023) == 1023) ::io_uring_sqring_wait(&ring_);
        }
        const int g = ::io_uring_get_events(&ring_);
        return g < 0 ? g : rc;
    }

    struct state {
        std::uint32_t gen = 0;
        bool armed = false;      // a poll of generation `gen` is outstanding
        bool reported = false;   // in reported_, to re-arm at the next select()
        bool queued = false;     // in queued_: reported by the kernel, not yet handed out
        std::uint32_t bits = 0;  // what the kernel reported (while queued)
    };

    state& state_for(int fd) {
        if (static_cast<std::size_t>(fd) >= states_.size()) states_.resize(static_cast<std::size_t>(fd) + 1);
        return states_[fd];
    }

    io_uring_sqe* sqe() {
        io_uring_sqe* e = ::io_uring_get_sqe(&ring_);
        if (!e) {  // the submission queue is full: hand what is queued to the kernel
            const int rc = ::io_uring_submit(&ring_);
            if (rc < 0 && rc != -EBUSY && rc != -EAGAIN)
                throw std::system_error(-rc, std::generic_category(), "io_uring_submit");
            if (sqpoll_) ::io_uring_sqring_wait(&ring_);  // until the kernel thread took some
            e = ::io_uring_get_sqe(&ring_);
            if (!e) throw std::system_error(EBUSY, std::generic_category(), "io_uring: submission queue full");
        }
        return e;
    }

    void arm(int fd, state& s, std::uint32_t interest) {
        io_uring_sqe* e = sqe();
        ::io_uring_prep_poll_add(e, fd, to_poll(interest));
        ::io_uring_sqe_set_data64(e, poll_data(fd, s.gen));
        s.armed = true;
    }

    /// Withdraws the outstanding poll (if any); its completion, if it still comes, carries
    /// an older generation and is ignored.
    void disarm(int fd, state& s) {
        s.queued = false;  // a report not handed out yet belongs to the old registration
        if (s.armed) {
            io_uring_sqe* e = sqe();
            ::io_uring_prep_poll_remove(e, poll_data(fd, s.gen));
            ::io_uring_sqe_set_data64(e, tag_ignore);
            s.armed = false;
        }
        ++s.gen;
    }

    void arm_wake() {
        io_uring_sqe* e = sqe();
        ::io_uring_prep_poll_add(e, wake_.read_fd(), POLLIN);
        ::io_uring_sqe_set_data64(e, tag_wake);
    }

    /// Level-triggered: every fd handed out since the last call gets a fresh poll, which
    /// completes at once if the fd is still ready. One still queued is not polled again.
    void rearm_reported() {
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

    /// Takes every completion the kernel has: the completion queue, and what overflowed it
    /// (kept by the kernel and moved into the queue as room is made), so one select hands
    /// out everything that happened before it, never a stale report at a later call.
    void reap() {
        for (int rounds = 0; reap_queue() && rounds < 64; ++rounds) {
            if (!(IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW)) break;
            if (::io_uring_get_events(&ring_) < 0) break;
        }
    }

    /// Reaps what is in the completion queue; false when it was empty.
    bool reap_queue() {
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

    void on_poll(std::uint64_t v, int res) {
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

    io_uring ring_{};
    wake_fd wake_;
    fd_table table_;
    std::vector<state> states_;
    std::vector<int> reported_;
    std::vector<int> queued_;  // fds reaped as ready, handed out from next_ on
    std::size_t next_ = 0;
    std::vector<detail::io_request*> completed_;  // reaped requests, for take_completed
    bool native_[16] = {};
    bool native_any_ = false;
    bool sqpoll_ = false;
    std::vector<iovec> fixed_;  // registered buffers, by index
    std::size_t fixed_ops_ = 0;
    std::unordered_map<detail::io_request*, std::unique_ptr<message>> messages_;
    bool multishot_ = false;
    std::unordered_map<int, acceptor> acceptors_;
    std::uint32_t acceptor_gen_ = 0;
    std::vector<std::unique_ptr<message>> spare_messages_;
};

bool io_uring_usable() {
    io_uring ring{};
    const int rc = ::io_uring_queue_init(2, &ring, 0);
    if (rc < 0) return false;
    ::io_uring_queue_exit(&ring);
    return true;
}

}  // namespace

namespace {

unsigned env_unsigned(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    unsigned out = 0;
    const char* end = v + std::strlen(v);
    auto [p, ec] = std::from_chars(v, end, out);
    if (ec != std::errc{} || p != end)
        throw std::invalid_argument(std::string(name) + ": expected a non-negative number, got '" + v + "'");
    return out;
}

template <class Selector>
auto& as_io_uring(Selector& s) {
    using target = std::conditional_t<std::is_const_v<Selector>, const io_uring_selector, io_uring_selector>;
    auto* u = dynamic_cast<target*>(&s);
    if (!u) throw std::invalid_argument("not an io_uring selector: " + std::string(s.name()));
    return *u;
}

}  // namespace

io_uring_options io_uring_options_from_env() {
    io_uring_options o;
    o.entries = env_unsigned("COROLLA_IO_URING_ENTRIES", o.entries);
    o.sqpoll = env_unsigned("COROLLA_IO_URING_SQPOLL", 0) != 0;
    o.native_io = env_unsigned("COROLLA_IO_URING_NATIVE", 1) != 0;
    o.multishot_accept = env_unsigned("COROLLA_IO_URING_MULTISHOT_ACCEPT", o.multishot_accept ? 1 : 0) != 0;
    return o;
}

std::unique_ptr<selector> make_io_uring_selector(const io_uring_options& options) {
    return std::make_unique<io_uring_selector>(options);
}

void io_uring_register_buffers(selector& s, std::span<const std::span<std::byte>> buffers) {
    as_io_uring(s).register_buffers(buffers);
}

std::size_t io_uring_fixed_operations(const selector& s) { return as_io_uring(s).fixed_operations(); }

}  // namespace corolla

extern "C" void corolla_backend_anchor_io_uring() {}

namespace {
const bool io_uring_registered = [] {
    // Never chosen by `auto` (only by name, or as a preset's default): a kernel may have
    // io_uring yet a sandbox may forbid it, and its readiness path costs more than epoll's.
    corolla::register_backend(
        {.name = "io_uring", .priority = 40, .auto_eligible = false, .probe = corolla::io_uring_usable, .make = [] {
             return corolla::make_io_uring_selector();
         }});
    return true;
}();
}  // namespace
