// echo_libevent: the libevent peer of the TCP echo comparison (tools/compare, scenario
// tcp_echo): an evconnlistener and one bufferevent per connection, the library's
// documented echo. The read callback moves the whole input buffer to the output buffer
// (bufferevent_write_buffer: evbuffer chains change hands, no copy); the bufferevent
// writes it when the socket is writable.
//
//   echo_libevent --port 0      prints "listening on <port>" (127.0.0.1), runs until
//                               SIGTERM or SIGINT, exits 0
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "echo_peer_support.hpp"

namespace {

void on_read(bufferevent* bev, void*) { bufferevent_write_buffer(bev, bufferevent_get_input(bev)); }

void on_event(bufferevent* bev, short events, void*) {
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

void on_accept(evconnlistener* listener, evutil_socket_t fd, sockaddr*, int, void*) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    event_base* base = evconnlistener_get_base(listener);
    bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == nullptr) {
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, on_read, nullptr, on_event, nullptr);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void on_signal(evutil_socket_t, short, void* base) { event_base_loopbreak(static_cast<event_base*>(base)); }

}  // namespace

int main(int argc, char** argv) {
    const int port = corolla::peers::parse_port(argc, argv, "echo_libevent");
    corolla::peers::raise_fd_limit();  // a thousand connections
    ::signal(SIGPIPE, SIG_IGN);

    event_base* base = event_base_new();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    evconnlistener* listener =
        base == nullptr ? nullptr
                        : evconnlistener_new_bind(base, on_accept, nullptr, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE,
                                                  SOMAXCONN, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    if (listener == nullptr ||
        ::getsockname(evconnlistener_get_fd(listener), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::fprintf(stderr, "echo_libevent: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    event* sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event* sigint = evsignal_new(base, SIGINT, on_signal, base);
    event_add(sigterm, nullptr);
    event_add(sigint, nullptr);

    std::printf("listening on %d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    event_base_dispatch(base);
    event_free(sigterm);
    event_free(sigint);
    evconnlistener_free(listener);
    event_base_free(base);
    return 0;
}
