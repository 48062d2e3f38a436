// Listening sockets whose accept requests stay queued with the loop and re-arm themselves
// after each connection, so accepting needs no task; each accepted connection's handler is
// started from a callback (never inside the poll phase).
#include <corolla/net/server.hpp>

#include <cerrno>
#include <cstring>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <corolla/core/detail/io_request.hpp>
#include <corolla/core/handle.hpp>
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

class server_state : public std::enable_shared_from_this<server_state> {
public:
    struct listener {
        socket sock;
        address peer;  // accept4 fills this in
        intrusive_ptr<io_request> req;
        timer_handle retry;
        server_state* owner = nullptr;
    };

    server_state(event_loop& l, connection_starter s, const server_options& o)
        : loop(l), starter(std::move(s)), opt(o) {}
    ~server_state() { close(); }

    event_loop& loop;
    connection_starter starter;
    server_options opt;
    std::vector<std::unique_ptr<listener>> listeners;
    std::string unix_path;  // removed at close
    bool serving = false;
    bool closed = false;
    std::size_t active = 0;
    std::vector<int> pending;  // accepted fds waiting for their handler
    bool start_scheduled = false;
    waiter_list forever;
    waiter_list closed_waiters;

    void arm(listener& l) {
        io_args a{};
        a.kind = io_kind::accept;
        a.fd = l.sock.fileno();
        a.addr = l.peer.native();
        a.addrlen = address::capacity();
        l.req = intrusive_ptr<io_request>(new io_request(loop, a));
        l.req->on_done = &on_accept;
        l.req->context = &l;
        l.sock.attach(loop, "server");
        corolla::detail::loop_access::submit_io(loop, *l.req);
    }

    static bool transient_shortage(int e) { return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM; }

    /// The loop's hook for a listener's accept request.
    static bool on_accept(io_request& r) {
        auto* l = static_cast<listener*>(r.context);
        server_state& s = *l->owner;
        r.args.addrlen = address::capacity();
        if (r.args.err == 0) {
            s.pending.push_back(static_cast<int>(r.args.res));
            s.schedule_start();
            return false;  // accept the next one
        }
        if (!transient_shortage(r.args.err)) return false;  // ECONNABORTED and the like: go on
        // Out of fds or memory: pause this listener instead of spinning on a ready backlog.
        const int err = r.args.err;
        std::weak_ptr<server_state> weak = s.weak_from_this();
        s.loop.call_soon([weak, l, err] {
            auto self = weak.lock();
            if (!self || self->closed) return;
            self->loop.log(log_level::warning,
                           std::string("server: accept failed (") + std::strerror(err) + "); pausing accepting");
            l->retry = self->loop.call_later(self->opt.accept_retry_delay, [weak, l] {
                auto again = weak.lock();
                if (again && !again->closed) again->arm(*l);
            });
        });
        return true;
    }

    void schedule_start() {
        if (start_scheduled) return;
        start_scheduled = true;
        std::weak_ptr<server_state> weak = weak_from_this();
        loop.call_soon([weak] {
            if (auto self = weak.lock()) self->start_pending();
        });
    }

    void start_pending() {
        start_scheduled = false;
        std::vector<int> fds;
        fds.swap(pending);
        for (std::size_t i = 0; i < fds.size(); ++i) {
            socket conn = socket::from_nonblocking_fd(fds[i]);
            try {
                stream_pair p = open_stream(std::move(conn), opt.stream);
                future<void> t = starter(std::move(p.reader), std::move(p.writer));
                ++active;
                std::weak_ptr<server_state> weak = weak_from_this();
                t.state()->add_done_callback([weak](future_base&) {
                    if (auto self = weak.lock()) self->handler_done();
                });
            } catch (...) {
                loop.call_exception_handler(
                    exception_context{"server: could not start a connection handler", std::current_exception(), {}});
            }
        }
    }

    void handler_done() {
        if (active > 0) --active;
        if (closed && active == 0) wake(closed_waiters);
    }

    static void wake(waiter_list& l) {
        while (waiter* w = l.pop_front())
            w->set_result();
    }

    void close() noexcept {
        if (closed) return;
        closed = true;
        serving = false;
        for (auto& l : listeners) {
            l->retry.cancel();
            if (l->req) l->req->abandon();  // the kernel may hold its address buffer
            l->req.reset();
            l->sock.close();
        }
        for (int fd : pending)
            ::close(fd);
        pending.clear();
        if (!unix_path.empty() && unix_path[0] != '@') ::unlink(unix_path.c_str());
        wake(forever);
        if (active == 0) wake(closed_waiters);
    }

    void add_listener(socket s) {
        auto l = std::make_unique<listener>();
        l->sock = std::move(s);
        l->owner = this;
        listeners.push_back(std::move(l));
    }

    void start_serving() {
        serving = true;
        for (auto& l : listeners)
            arm(*l);
    }
};

server start_tcp_server(event_loop& loop, connection_starter start, const std::string& host, int port,
                        const server_options& options) {
    std::vector<address> addrs = resolve_numeric(host, port);
    if (addrs.empty())
        throw address_error("start_server: '" + host + "' is not a numeric address or localhost; resolve() it first");
    auto st = std::make_shared<server_state>(loop, std::move(start), options);
    std::exception_ptr first_error;
    for (const address& a : addrs) {
        try {
            socket s(a.family(), SOCK_STREAM);
            if (options.reuse_address) s.set_reuse_address(true);
            if (options.reuse_port) s.set_reuse_port(true);
            if (a.family() == AF_INET6) s.set_option(IPPROTO_IPV6, IPV6_V6ONLY, 1);
            s.bind(a);
            s.listen(options.backlog);
            st->add_listener(std::move(s));
        } catch (...) {
            if (!first_error) first_error = std::current_exception();
        }
    }
    if (st->listeners.empty()) std::rethrow_exception(first_error);
    st->start_serving();
    return server(std::move(st));
}

server start_unix_server(event_loop& loop, connection_starter start, const std::string& path,
                         const server_options& options) {
    const address a = address::unix_path(path);
    if (path[0] != '@') {
        // Replace a stale socket file (asyncio does the same); refuse anything else.
        struct stat st_buf {};
        if (::stat(path.c_str(), &st_buf) == 0 && S_ISSOCK(st_buf.st_mode)) ::unlink(path.c_str());
    }
    auto st = std::make_shared<server_state>(loop, std::move(start), options);
    socket s(AF_UNIX, SOCK_STREAM);
    s.bind(a);
    s.listen(options.backlog);
    st->unix_path = path;
    st->add_listener(std::move(s));
    st->start_serving();
    return server(std::move(st));
}

}  // namespace detail

server::~server() {
    if (s_) s_->close();
}

std::vector<address> server::addresses() const {
    std::vector<address> out;
    if (s_)
        for (auto& l : s_->listeners)
            if (l->sock.is_open()) out.push_back(l->sock.local_address());
    return out;
}

int server::port() const {
    for (const address& a : addresses())
        if (a.family() == AF_INET || a.family() == AF_INET6) return a.port();
    return 0;
}

bool server::is_serving() const noexcept { return s_ && s_->serving; }
std::size_t server::active_connections() const noexcept { return s_ ? s_->active : 0; }
void server::close() {
    if (s_) s_->close();
}
server_wait_op server::serve_forever() { return {s_, server_wait_op::kind::forever}; }
server_wait_op server::wait_closed() { return {s_, server_wait_op::kind::closed}; }

server_wait_op::~server_wait_op() {
    if (w_ && !w_->done()) w_->cancel("wait abandoned");
}

future_base* server_wait_op::start(event_loop& loop) {
    if (!s_) throw invalid_state_error("wait on an empty server");
    detail::server_state& s = *s_;
    if (kind_ == kind::forever) {
        if (s.closed) throw invalid_state_error("serve_forever: the server is closed");
        w_ = corolla::detail::make_waiter(loop);
        s.forever.push_back(*w_);
    } else {
        if (s.closed && s.active == 0) return nullptr;
        w_ = corolla::detail::make_waiter(loop);
        s.closed_waiters.push_back(*w_);
    }
    return w_.get();
}

void server_wait_op::finish(std::exception_ptr injected) {
    if (w_ && kind_ == kind::forever && w_->cancelled()) s_->close();  // asyncio: cancelling serve_forever closes
    if (w_) corolla::detail::rethrow_unless_granted(*w_);
    if (injected) {
        if (kind_ == kind::forever) s_->close();
        std::rethrow_exception(injected);
    }
}

}  // namespace corolla::net
