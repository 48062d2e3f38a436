// The stream state shared by a reader and a writer: the socket, the read buffer filled by
// read requests that stay queued until the buffer satisfies the read, and the write
// queue sent by one background send request that re-arms itself while data is queued.
// Over a pipe or another non-socket fd (a child process's stdin / stdout) the same state
// uses read / write instead of recv / send, and write_eof closes the fd.
#include <corolla/net/streams.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <mutex>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <corolla/core/event_loop.hpp>
#include <corolla/net/errors.hpp>
#include <corolla/core/detail/loop_access.hpp>

namespace corolla::net {

using corolla::detail::future_base;
using corolla::detail::intrusive_ptr;
using corolla::detail::io_args;
using corolla::detail::io_kind;
using corolla::detail::io_request;
using corolla::detail::waiter;
using corolla::detail::waiter_list;

namespace detail {

class stream_state : public std::enable_shared_from_this<stream_state> {
public:
    stream_state(socket s, const stream_options& o, bool sock_fd) : sock(std::move(s)), opt(o), is_socket(sock_fd) {}
    ~stream_state() { abandon_write(); }

    socket sock;
    stream_options opt;
    bool is_socket;  // else a pipe (or tty, file): read / write, no MSG_NOSIGNAL, no shutdown

    // --- reading -----------------------------------------------------------------------
    std::vector<char> buf;  // [head, tail) holds unread bytes
    std::size_t head = 0, tail = 0;
    bool eof = false;
    int read_err = 0;
    bool reading = false;  // a read operation is active (asyncio allows one reader)
    // What the active read waits for.
    stream_read_op::mode mode{};
    std::size_t want = 0;
    std::string sep;

    std::size_t size() const noexcept { return tail - head; }
    std::string_view view() const noexcept { return {buf.data() + head, tail - head}; }

    /// Room for at least `chunk` more bytes after tail.
    void reserve_tail(std::size_t chunk) {
        if (head == tail) head = tail = 0;
        if (buf.size() - tail >= chunk) return;
        if (head > 0) {
            std::memmove(buf.data(), buf.data() + head, tail - head);
            tail -= head;
            head = 0;
        }
        if (buf.size() - tail < chunk) buf.resize(std::max(buf.size() * 2, tail + chunk));
    }
    std::string take(std::size_t n) {
        std::string s(buf.data() + head, n);
        head += n;
        if (head == tail) head = tail = 0;
        return s;
    }
    /// Where a separator ends in the buffer (npos if not found).
    std::size_t find_sep() const noexcept {
        const std::size_t at = view().find(sep);
        return at == std::string_view::npos ? at : at + sep.size();
    }
    bool satisfied() const noexcept {
        if (eof || read_err) return true;
        switch (mode) {
        case stream_read_op::mode::some: return size() > 0;
        case stream_read_op::mode::all: return false;
        case stream_read_op::mode::exactly: return size() >= want;
        case stream_read_op::mode::until:
        case stream_read_op::mode::line: return find_sep() != std::string_view::npos || size() > opt.limit;
        }
        return true;
    }
    /// Records a receive's outcome.
    void received(const io_args& a) noexcept {
        if (a.err) {
            read_err = a.err;
        } else if (a.res == 0) {
            eof = true;
        } else {
            tail += static_cast<std::size_t>(a.res);
        }
    }
    static constexpr std::size_t chunk = 64 * 1024;
    void prepare(io_args& a) {
        reserve_tail(chunk);
        a = io_args{};
        a.kind = is_socket ? io_kind::recv : io_kind::read;
        a.fd = sock.fileno();
        a.buf = buf.data() + tail;
        a.len = buf.size() - tail;
    }
    /// The loop's hook for a read request: keep receiving until the read is satisfied.
    static bool on_read(io_request& r) {
        auto* s = static_cast<stream_state*>(r.context);
        s->received(r.args);
        if (s->satisfied()) return true;
        s->prepare(r.args);
        return false;
    }

    // --- writing -----------------------------------------------------------------------
    std::string inflight;  // what the send request is sending
    std::string queued;    // written meanwhile
    intrusive_ptr<io_request> write_req;
    std::shared_ptr<stream_state> keepalive;  // while a send request is in flight
    int write_err = 0;
    bool eof_requested = false;
    bool closing = false;
    bool closed = false;
    waiter_list drainers;
    waiter_list close_waiters;

    std::size_t write_buffered() const noexcept {
        const std::size_t sent = write_req ? static_cast<std::size_t>(write_req->args.res) : 0;
        return inflight.size() - std::min(sent, inflight.size()) + queued.size();
    }

    void check_writable() const {
        if (write_err) throw_os_error(write_err, "stream write");
        if (closing || !sock.is_open()) throw socket_closed_error("stream write: the writer is closed");
    }

    void write(std::string_view data) {
        check_writable();
        if (data.empty()) return;
        if (write_req) {  // a send is in flight: queue behind it
            queued.append(data);
            return;
        }
        event_loop* loop = sock.loop();
        io_args a{};
        a.kind = is_socket ? io_kind::send : io_kind::write;
        a.fd = sock.fileno();
        a.buf = const_cast<char*>(data.data());
        a.len = data.size();
        std::size_t sent = 0;
        if (loop) {
            if (corolla::detail::loop_access::try_io(*loop, a)) {
                if (a.err) {
                    write_err = a.err;
                    throw_os_error(a.err, "stream write");
                }
                sent = static_cast<std::size_t>(a.res);
            }
        } else if (corolla::detail::perform_io(a)) {  // not bound to a loop yet: try once
            if (a.err) {
                write_err = a.err;
                throw_os_error(a.err, "stream write");
            }
            sent = static_cast<std::size_t>(a.res);
        }
        if (sent == data.size()) return;
        inflight.assign(data.substr(sent));
        start_send();
    }

    event_loop& loop_for(const char* what) {
        if (event_loop* l = sock.loop()) return *l;
        return sock.attach(corolla::detail::current_loop(what), what);
    }

    void start_send() {
        event_loop& loop = loop_for("stream write");
        io_args a{};
        a.kind = is_socket ? io_kind::send_all : io_kind::write;
        a.fd = sock.fileno();
        a.buf = inflight.data();
        a.len = inflight.size();
        write_req = intrusive_ptr<io_request>(new io_request(loop, a));
        write_req->on_done = &on_sent;
        write_req->context = this;
        keepalive = shared_from_this();
        corolla::detail::loop_access::submit_io(loop, *write_req);
    }

    /// The loop's hook for the send request: send what was queued meanwhile, or finish.
    static bool on_sent(io_request& r) {
        auto* s = static_cast<stream_state*>(r.context);
        if (!r.args.err && r.args.kind == io_kind::write && static_cast<std::size_t>(r.args.res) < r.args.len) {
            // A short write to a pipe (there is no write-all request): the rest, plus what
            // was queued meanwhile. The kernel is done with `inflight` here.
            s->inflight.erase(0, static_cast<std::size_t>(r.args.res));
            s->inflight.append(s->queued);
            s->queued.clear();
            r.args.buf = s->inflight.data();
            r.args.len = s->inflight.size();
            r.args.res = 0;
            if (s->write_buffered() <= s->opt.low_water) s->wake_drainers();
            return false;
        }
        if (r.args.err) {
            s->write_err = r.args.err;
            s->inflight.clear();
            s->queued.clear();
            s->wake_drainers();
            s->finish_send();
            return true;
        }
        if (!s->queued.empty()) {
            s->inflight.swap(s->queued);
            s->queued.clear();
            r.args.buf = s->inflight.data();
            r.args.len = s->inflight.size();
            r.args.res = 0;
            if (s->write_buffered() <= s->opt.low_water) s->wake_drainers();
            return false;
        }
        s->inflight.clear();
        s->wake_drainers();
        s->finish_send();
        return true;
    }

    /// The send request is done: apply a pending write_eof / close. Runs in the poll
    /// phase; the close itself (which completes other requests) is deferred to a callback.
    void finish_send() {
        // The state must not go away inside the loop's poll phase (its socket's close
        // would touch the line being run), so the last reference is dropped by a callback.
        write_req.reset();
        try {
            sock.loop()->call_soon([self = std::move(keepalive)] {
                if (self->closing)
                    self->close_now();
                else if (self->eof_requested && self->sock.is_open())
                    self->shut_write();
            });
        } catch (const loop_closed_error&) {
            // The loop is closing (a send that won the race with its cancellation): there
            // is nothing left to do, and the loop no longer polls the fd.
        }
    }

    void wake_drainers() {
        while (waiter* w = drainers.pop_front())
            w->set_result();
    }

    void write_eof() {
        check_writable();
        eof_requested = true;
        if (!write_req) shut_write();
    }

    /// A pipe has no half-close: its writer closes it (asyncio's pipe transport too).
    void shut_write() {
        if (is_socket)
            ::shutdown(sock.fileno(), SHUT_WR);
        else
            close_now();
    }

    void close() {
        if (closing) return;
        closing = true;
        if (!write_req || write_err) close_now();
    }

    /// Stops a send still in flight (the state is going away).
    void abandon_write() noexcept {
        if (write_req) write_req->abandon();  // the kernel may be reading `inflight`
        write_req.reset();
    }

    void close_now() {
        closing = true;
        if (closed) return;
        closed = true;
        abandon_write();
        keepalive.reset();
        sock.close();  // reads waiting fail with socket_closed_error
        wake_drainers();
        while (waiter* w = close_waiters.pop_front())
            w->set_result();
    }
};

}  // namespace detail

using detail::stream_state;

// --- reads -----------------------------------------------------------------------------

stream_read_op::stream_read_op(std::shared_ptr<stream_state> s, mode m, std::size_t n, std::string sep)
    : s_(std::move(s)), mode_(m), n_(n), sep_(std::move(sep)) {}

stream_read_op::stream_read_op(stream_read_op&& o) noexcept
    : s_(std::move(o.s_)),
      mode_(o.mode_),
      n_(o.n_),
      sep_(std::move(o.sep_)),
      req_(std::move(o.req_)),
      active_(std::exchange(o.active_, false)) {}

stream_read_op::~stream_read_op() {
    if (req_) req_->abandon();
    if (active_) s_->reading = false;
}

future_base* stream_read_op::start(event_loop& loop) {
    if (!s_) throw invalid_state_error("read on an empty stream_reader");
    stream_state& s = *s_;
    if (s.reading) throw invalid_state_error("another task is already reading from this stream");
    if (mode_ == mode::until && sep_.empty()) throw value_error("readuntil: the separator is empty");
    s.mode = mode_;
    s.want = n_;
    s.sep = mode_ == mode::line ? std::string("\n") : sep_;
    // Asking for nothing never waits (asyncio: read(0) and readexactly(0) return b'').
    if (s.satisfied() || ((mode_ == mode::exactly || mode_ == mode::some) && n_ == 0)) return nullptr;
    if (!s.sock.is_open()) return nullptr;  // closed by our writer: finish reports it
    s.sock.attach(loop, "stream read");
    s.reading = true;
    active_ = true;
    io_args a;
    for (;;) {
        s.prepare(a);
        if (!corolla::detail::loop_access::try_io(loop, a)) break;
        s.received(a);
        if (s.satisfied()) {
            s.reading = active_ = false;
            return nullptr;
        }
    }
    req_ = intrusive_ptr<io_request>(new io_request(loop, a));
    req_->on_done = &stream_state::on_read;
    req_->context = &s;
    corolla::detail::loop_access::submit_io(loop, *req_);
    return req_.get();
}

std::string stream_read_op::finish(std::exception_ptr injected) {
    stream_state& s = *s_;
    if (active_) {
        s.reading = false;
        active_ = false;
    }
    if (req_) {
        auto r = std::move(req_);
        r->value();  // cancelled: nothing is consumed; closed: socket_closed_error
        // Cancelled while in the kernel but completed first: what it read is buffered.
        if (r->cancel_requested) throw cancelled_error(r->cancel_message);
    }
    // A cancellation that arrived after the buffer filled: the data stays buffered.
    if (injected) std::rethrow_exception(injected);
    const std::size_t n = s.size();
    if ((mode_ == mode::some || mode_ == mode::exactly) && n_ == 0 && n == 0 && !s.read_err) return {};  // b''
    switch (mode_) {
    case mode::some:
        if (n > 0) return s.take(std::min(n, n_));
        break;
    case mode::all:
        if (s.eof) return s.take(n);
        break;
    case mode::exactly:
        if (n >= n_) return s.take(n_);
        if (s.eof) throw incomplete_read_error(s.take(n), n_);
        break;
    case mode::until:
    case mode::line: {
        const std::size_t end = s.find_sep();
        if (end != std::string_view::npos && end <= s.opt.limit) return s.take(end);
        if (end != std::string_view::npos || n > s.opt.limit)
            throw limit_overrun_error(end != std::string_view::npos
                                          ? "separator is found, but chunk is longer than limit"
                                          : "separator is not found, and chunk exceed the limit",
                                      end != std::string_view::npos ? end : n);
        if (s.eof) {
            if (mode_ == mode::line) return s.take(n);
            throw incomplete_read_error(s.take(n), 0);
        }
        break;
    }
    }
    if (s.read_err) throw_os_error(s.read_err, "stream read");
    if (s.eof) return {};
    throw socket_closed_error("stream read: the stream is closed");
}

// --- drain / wait_closed ---------------------------------------------------------------

stream_wait_op::~stream_wait_op() {
    if (w_ && !w_->done()) w_->cancel("wait abandoned");
}

future_base* stream_wait_op::start(event_loop& loop) {
    stream_state& s = *s_;
    if (kind_ == kind::drain) {
        if (s.write_err || s.write_buffered() <= s.opt.high_water || s.closed) return nullptr;
        w_ = corolla::detail::make_waiter(loop);
        s.drainers.push_back(*w_);
    } else {
        if (s.closed) return nullptr;
        w_ = corolla::detail::make_waiter(loop);
        s.close_waiters.push_back(*w_);
    }
    return w_.get();
}

void stream_wait_op::finish(std::exception_ptr injected) {
    if (w_) corolla::detail::rethrow_unless_granted(*w_);
    if (injected) std::rethrow_exception(injected);
    if (kind_ == kind::drain && s_->write_err) throw_os_error(s_->write_err, "stream drain");
}

// --- reader / writer -------------------------------------------------------------------

namespace {
constexpr std::size_t npos = static_cast<std::size_t>(-1);

/// write(2) to a pipe whose reader is gone raises SIGPIPE, and no flag prevents it as
/// MSG_NOSIGNAL does for send. So, as Python does at startup, a process that streams over
/// a pipe ignores SIGPIPE (unless it installed a handler of its own): the write fails with
/// EPIPE, reported as broken_pipe_error. Child processes get the default back (the
/// process module resets it when it spawns).
void ignore_sigpipe() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction old {};
        if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO))
            ::signal(SIGPIPE, SIG_IGN);
    });
}
}  // namespace

stream_read_op stream_reader::read(std::size_t n) { return {s_, stream_read_op::mode::some, n, {}}; }
stream_read_op stream_reader::read() { return {s_, stream_read_op::mode::all, npos, {}}; }
stream_read_op stream_reader::readline() { return {s_, stream_read_op::mode::line, 0, {}}; }
stream_read_op stream_reader::readexactly(std::size_t n) { return {s_, stream_read_op::mode::exactly, n, {}}; }
stream_read_op stream_reader::readuntil(std::string separator) {
    return {s_, stream_read_op::mode::until, 0, std::move(separator)};
}
bool stream_reader::at_eof() const noexcept { return s_->eof && s_->size() == 0; }
std::size_t stream_reader::buffered() const noexcept { return s_->size(); }
std::size_t stream_reader::limit() const noexcept { return s_->opt.limit; }

void stream_writer::write(std::string_view data) { s_->write(data); }
void stream_writer::writelines(std::initializer_list<std::string_view> lines) {
    s_->check_writable();
    if (s_->write_req) {
        for (std::string_view l : lines)
            s_->queued.append(l);
        return;
    }
    std::string all;
    for (std::string_view l : lines)
        all.append(l);
    s_->write(all);
}
stream_wait_op stream_writer::drain() { return {s_, stream_wait_op::kind::drain}; }
void stream_writer::write_eof() { s_->write_eof(); }
void stream_writer::close() { s_->close(); }
bool stream_writer::is_closing() const noexcept { return s_->closing; }
stream_wait_op stream_writer::wait_closed() { return {s_, stream_wait_op::kind::closed}; }
std::size_t stream_writer::buffer_size() const noexcept { return s_->write_buffered(); }
address stream_writer::peer_address() const { return s_->sock.peer_address(); }
address stream_writer::local_address() const { return s_->sock.local_address(); }
socket& stream_writer::get_socket() noexcept { return s_->sock; }

stream_pair open_stream(socket s, stream_options options) {
    if (!s.is_open()) throw socket_closed_error("open_stream: the socket is closed");
    if (options.low_water > options.high_water) throw value_error("stream_options: low_water above high_water");
    if (options.limit == 0) throw value_error("stream_options: limit must be positive");
    struct stat st_buf {};
    const bool is_socket = ::fstat(s.fileno(), &st_buf) != 0 || S_ISSOCK(st_buf.st_mode);
    if (!is_socket) ignore_sigpipe();
    if (options.nodelay && is_socket) {
        const int fam = s.family();
        if (fam == AF_INET || fam == AF_INET6) s.set_nodelay(true);
    }
    auto st = std::make_shared<stream_state>(std::move(s), options, is_socket);
    return {stream_reader(st), stream_writer(st)};
}

}  // namespace corolla::net
