// The io_uring selector, shared by its three sources: io_uring_selector.cpp (the ring: set-up,
// registered buffers, submission slots, reaping completions; the backend's entry points),
// io_uring_readiness.cpp (the selector contract: level-triggered readiness from one-shot
// polls) and io_uring_completion.cpp (completion_io: native socket and file operations,
// multishot accept).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <liburing.h>
#include <poll.h>
#include <sys/socket.h>

#include <corolla/core/detail/io_request.hpp>
#include <corolla/core/selector_support.hpp>
#include <corolla/io_uring/io_uring_selector.hpp>

namespace corolla::detail {

// user_data of a submission: the low three bits say what it is (requests are 8-aligned).
enum uring_tag : std::uint64_t {
    tag_request = 0,      // an io_request: its address
    tag_poll = 1,         // readiness of a registered fd: (generation << 32 | fd) << 3
    tag_wake = 2,         // the wake fd's poll
    tag_ignore = 3,       // poll_remove, cancels: nothing to do on completion
    tag_linked_poll = 4,  // the poll linked before a request that met EAGAIN: address | 4
    tag_accept = 5,       // a listener's multishot accept: (generation << 32 | fd) << 3
};

inline std::uint64_t fd_data(int fd, std::uint32_t gen, uring_tag t) noexcept {
    return ((static_cast<std::uint64_t>(gen) << 32 | static_cast<std::uint32_t>(fd)) << 3) | t;
}
inline std::uint64_t poll_data(int fd, std::uint32_t gen) noexcept { return fd_data(fd, gen, tag_poll); }

// Readiness (the selector contract) is kept level-triggered with one-shot poll requests:
// each report is followed by a fresh poll at the next select(), which completes at once if
// the fd is still ready. A multishot poll reports edges (new wake-ups), so an fd whose data
// a callback left unread would never be reported again; one-shot polls cost no extra
// syscall since they are batched into the submission select() makes anyway.
class io_uring_selector final : public selector, public completion_io {
public:
    explicit io_uring_selector(const io_uring_options& o);
    ~io_uring_selector() override;

    void register_buffers(std::span<const std::span<std::byte>> buffers);
    std::size_t fixed_operations() const noexcept { return fixed_ops_; }

    std::string_view name() const noexcept override { return "io_uring"; }
    selector_caps caps() const noexcept override { return {.reports_hangup = true, .max_fd = -1}; }
    std::size_t size() const noexcept override { return table_.size(); }

    // --- readiness (io_uring_readiness.cpp) ----------------------------------------------
    void add(int fd, std::uint32_t interest, std::uint64_t token) override;
    void modify(int fd, std::uint32_t interest, std::uint64_t token) override;
    void remove(int fd) override;
    std::size_t select(duration timeout, std::span<ready_event> out) override;
    void wake() noexcept override { wake_.wake(); }

    // --- completion_io (io_uring_completion.cpp) -----------------------------------------
    completion_io* completion() noexcept override { return native_any_ ? this : nullptr; }
    bool submit(detail::io_request& r) override;
    bool try_complete(detail::io_args& a) override;
    void release(int fd) noexcept override;
    bool performs(detail::io_kind k) const noexcept override { return native_[static_cast<std::size_t>(k)]; }
    void cancel(detail::io_request& r) override;
    void cancel_and_wait(detail::io_request& r) noexcept override;
    void take_completed(std::vector<detail::io_request*>& out) override;

private:
    // --- the ring (io_uring_selector.cpp) ----------------------------------------------
    /// Which io_kinds the running kernel performs natively (probed once). The others, and
    /// all of them with COROLLA_IO_URING_NATIVE=0 in the environment, use readiness.
    void probe_opcodes();
    /// With SQPOLL the kernel thread takes submissions on its own time; a poll that must
    /// not wait (timeout 0) first lets it take what is queued, so the readiness it reports
    /// is as fresh as without SQPOLL (a zero-timeout select after a write sees it).
    int settle_sqpoll(int rc);
    /// A free submission slot; when the submission queue is full, what is queued goes to
    /// the kernel first.
    io_uring_sqe* sqe() {
        io_uring_sqe* e = ::io_uring_get_sqe(&ring_);
        if (!e) {
            const int rc = ::io_uring_submit(&ring_);
            if (rc < 0 && rc != -EBUSY && rc != -EAGAIN)
                throw std::system_error(-rc, std::generic_category(), "io_uring_submit");
            if (sqpoll_) ::io_uring_sqring_wait(&ring_);  // until the kernel thread took some
            e = ::io_uring_get_sqe(&ring_);
            if (!e) throw std::system_error(EBUSY, std::generic_category(), "io_uring: submission queue full");
        }
        return e;
    }

    // --- readiness (io_uring_readiness.cpp) ----------------------------------------------
    struct state {
        std::uint32_t gen = 0;
        bool armed = false;      // a poll of generation `gen` is outstanding
        bool reported = false;   // in reported_, to re-arm at the next select()
        bool queued = false;     // in queued_: reported by the kernel, not yet handed out
        std::uint32_t bits = 0;  // what the kernel reported (while queued)
    };

    state& state_for(int fd);
    void arm(int fd, state& s, std::uint32_t interest);
    /// Withdraws the outstanding poll (if any); its completion, if it still comes, carries
    /// an older generation and is ignored.
    void disarm(int fd, state& s);
    void arm_wake();
    /// Level-triggered: every fd handed out since the last call gets a fresh poll, which
    /// completes at once if the fd is still ready. One still queued is not polled again.
    void rearm_reported();
    void on_poll(std::uint64_t v, int res);
    /// Takes every completion the kernel has: the completion queue, and what overflowed it
    /// (kept by the kernel and moved into the queue as room is made), so one select hands
    /// out everything that happened before it, never a stale report at a later call.
    void reap();
    /// Reaps what is in the completion queue; false when it was empty.
    bool reap_queue();

    // --- completion_io (io_uring_completion.cpp) -----------------------------------------
    /// Queues r's syscall; `after_poll` first waits for readiness (linked poll), for a
    /// request the kernel answered with EAGAIN.
    void prep(detail::io_request& r, bool after_poll);
    void on_request(detail::io_request& r, int res);
    /// The registered buffer holding [buf, buf + len), or -1.
    int fixed_index(const void* buf, std::size_t len) noexcept;
    /// recvmsg / sendmsg need a msghdr that lives until the completion: one per request
    /// in flight, recycled (set up again for a retry after EAGAIN: the kernel wrote
    /// msg_namelen).
    struct message {
        msghdr h{};
        iovec v{};
    };
    msghdr* message_for(detail::io_request& r);

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

    void accept_submit(detail::io_request& r);
    void arm_accept(int fd, acceptor& a);
    /// Fills an accept's outcome with connection c (its peer address from getpeername;
    /// empty when the peer is already gone, as the first read will report).
    static void accepted(detail::io_args& a, int c) noexcept;
    void on_accept(std::uint64_t v, int res, unsigned flags);

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

}  // namespace corolla::detail
