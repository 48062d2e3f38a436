// asyncio.open_connection: resolve the host off the loop thread when it is a name, then try
// each address in turn until one connects, and wrap the socket in streams.
#include <corolla/net/streams.hpp>

#include <cerrno>
#include <vector>

#include <sys/socket.h>

#include <corolla/core/event_loop.hpp>
#include <corolla/net/errors.hpp>
#include <corolla/net/resolve.hpp>
#include <corolla/core/detail/loop_access.hpp>
#include <corolla/core/detail/take_result.hpp>

namespace corolla::net {

using corolla::detail::future_base;
using corolla::detail::intrusive_ptr;
using corolla::detail::io_args;
using corolla::detail::io_kind;
using corolla::detail::io_request;

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
    return corolla::detail::take_result(*st, std::move(injected));
}

open_connection_op open_connection(std::string host, int port, stream_options options) {
    return open_connection_op(std::move(host), port, {}, options);
}
open_connection_op open_unix_connection(std::string path, stream_options options) {
    if (path.empty()) throw address_error("open_unix_connection: empty path");
    return open_connection_op({}, 0, std::move(path), options);
}

}  // namespace corolla::net
