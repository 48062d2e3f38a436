// The stream state shared by a reader and a writer: the socket, the read buffer filled by
// read requests that stay queued until the buffer satisfies the read, and the write
// queue sent by one background send request that re-arms itself while data is queued.
#include <corolla/net/streams.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include <corolla/core/event_loop.hpp>
#include <corolla/net/errors.hpp>
#include <corolla/net/resolve.hpp>
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
    stream_state(socket s, const stream_options& o) : sock(std::move(s)), opt(o) {}
    ~stream_state() { abandon_write(); }

    socket sock;
    stream_options opt;

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
        a.kind = io_kind::recv;
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
        a.kind = io_kind::send;
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
        a.kind = io_kind::send_all;
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
                    ::shutdown(self->sock.fileno(), SHUT_WR);
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
        if (!write_req) ::shutdown(sock.fileno(), SHUT_WR);
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
}

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
    if (options.nodelay) {
        const int fam = s.family();
        if (fam == AF_INET || fam == AF_INET6) s.set_nodelay(true);
    }
    auto st = std::make_shared<stream_state>(std::move(s), options);
    return {stream_reader(st), stream_writer(st)};
}

// --- open_connection -------------------------------------------------------------------

namespace {

/// The future of an open_connection: resolve (if needed), then try each address in turn.
class connect_state final : public corolla::detail::future_state<stream_pair> {
public:
    connect_state(event_loop& loop, stream_options o) : future_state<stream_pair>(loop), opt_(o) {}

    bool cancel(std::string message) override {
        if (done()) return false;
        if (inner_ && !inner_->done()) inner_->cancel(message);
        return cancel_now(std::move(message));
    }

    static void begin(const intrusive_ptr<connect_state>& self, std::vector<address> addrs, std::string what) {
        self->addrs_ = std::move(addrs);
        self->what_ = std::move(what);
        try_next(self);
    }

    static void resolve_then_connect(const intrusive_ptr<connect_state>& self, future<std::vector<address>> f,
                                     std::string what) {
        self->inner_ = intrusive_ptr<future_base>(f.state());
        self->what_ = std::move(what);
        f.state()->add_done_callback([self, f](future_base&) {
            if (self->done()) return;
            try {
                self->addrs_ = f.result();
            } catch (...) {
                self->set_exception(std::current_exception());
                return;
            }
            try_next(self);
        });
    }

private:
    static void try_next(const intrusive_ptr<connect_state>& self) {
        connect_state& c = *self;
        event_loop& loop = c.loop();
        while (c.next_ < c.addrs_.size()) {
            const address& a = c.addrs_[c.next_++];
            try {
                c.sock_ = socket(a.family(), SOCK_STREAM);
                c.sock_.attach(loop, "open_connection");
            } catch (...) {
                c.set_exception(std::current_exception());
                return;
            }
            io_args args{};
            args.kind = io_kind::connect;
            args.fd = c.sock_.fileno();
            args.addr = const_cast<sockaddr*>(a.native());
            args.addrlen = a.size();
            if (corolla::detail::loop_access::try_io(loop, args)) {
                if (args.err == 0) return c.succeed();
                c.last_err_ = args.err;
                continue;
            }
            auto req = intrusive_ptr<io_request>(new io_request(loop, args));
            c.inner_ = req;
            corolla::detail::loop_access::submit_io(loop, *req);
            req->add_done_callback([self, req](future_base&) {
                if (self->done()) return;
                try {
                    req->value();
                } catch (...) {  // closed meanwhile
                    self->set_exception(std::current_exception());
                    return;
                }
                if (req->args.err == 0) return self->succeed();
                self->last_err_ = req->args.err;
                try_next(self);
            });
            return;
        }
        try {
            throw_os_error(c.last_err_ ? c.last_err_ : ECONNREFUSED, "open_connection to " + c.what_);
        } catch (...) {
            c.set_exception(std::current_exception());
        }
    }

    void succeed() {
        try {
            set_result(open_stream(std::move(sock_), opt_));
        } catch (...) {
            set_exception(std::current_exception());
        }
    }

    stream_options opt_;
    std::vector<address> addrs_;
    std::size_t next_ = 0;
    int last_err_ = 0;
    std::string what_;
    socket sock_;
    intrusive_ptr<future_base> inner_;
};

}  // namespace

struct open_connection_op::impl {
    std::string host;
    int port;
    std::string path;
    stream_options opt;
    intrusive_ptr<connect_state> state;
};

open_connection_op::open_connection_op(std::string host, int port, std::string unix_path, stream_options options)
    : p_(new impl{std::move(host), port, std::move(unix_path), options, {}}) {}
open_connection_op::open_connection_op(open_connection_op&&) noexcept = default;
open_connection_op::~open_connection_op() {
    if (p_ && p_->state && !p_->state->done()) p_->state->cancel("open_connection abandoned");
}

future_base* open_connection_op::start(event_loop& loop) {
    impl& p = *p_;
    p.state = intrusive_ptr<connect_state>(new connect_state(loop, p.opt));
    if (!p.path.empty()) {
        connect_state::begin(p.state, {address::unix_path(p.path)}, p.path);
    } else {
        const std::string what = p.host + ":" + std::to_string(p.port);
        std::vector<address> now = resolve_numeric(p.host, p.port);
        if (!now.empty())
            connect_state::begin(p.state, std::move(now), what);
        else
            connect_state::resolve_then_connect(p.state, resolve(loop, p.host, p.port, AF_UNSPEC, SOCK_STREAM), what);
    }
    return p.state->done() ? nullptr : p.state.get();
}

stream_pair open_connection_op::finish(std::exception_ptr injected) {
    auto st = std::move(p_->state);
    if (injected && st->status() == corolla::future_status::done && !st->has_exception()) {
        // Connected before the cancellation reached us: hand the connection over first.
        corolla::detail::defer_cancel(injected);
        injected = nullptr;
    }
    if (injected) std::rethrow_exception(injected);
    return std::move(st->value());
}

open_connection_op open_connection(std::string host, int port, stream_options options) {
    return open_connection_op(std::move(host), port, {}, options);
}
open_connection_op open_unix_connection(std::string path, stream_options options) {
    if (path.empty()) throw address_error("open_unix_connection: empty path");
    return open_connection_op({}, 0, std::move(path), options);
}

}  // namespace corolla::net
