// corolla_echo_server: a TCP (or Unix) echo server on corolla, for the shell and for
// tools/compare's tcp_echo scenario. Every connection is its own task: a coroutine
// (--style coro) or a fiber (--style fiber), echoing with the sock_* operations
// (--api sock, the default) or through streams (--api streams). One loop, one thread.
//
//   corolla_echo_server --backend epoll --style coro --port 0     prints "listening on <port>"
//   corolla_echo_server --list-backends                           one backend name per line
//
// It runs until SIGINT or SIGTERM and exits 0.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/task.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/net/errors.hpp>
#include <corolla/net/server.hpp>
#include <corolla/net/sock_ops.hpp>
#if COROLLA_ECHO_FIBERS
#include <corolla/fiber/fiber.hpp>
#endif

namespace net = corolla::net;

namespace {

constexpr std::size_t buffer_size = 64 * 1024;

corolla::coro<void> echo_coro(net::socket conn) {
    std::vector<std::byte> buf(buffer_size);
    try {
        for (;;) {
            const std::size_t n = co_await net::sock_recv_into(conn, buf);
            if (n == 0) break;
            co_await net::sock_sendall(conn, std::string_view(reinterpret_cast<const char*>(buf.data()), n));
        }
    } catch (const net::connection_error&) {  // a client that goes away mid-echo is normal
    }
}

corolla::coro<void> echo_coro_streams(net::stream_reader r, net::stream_writer w) {
    try {
        for (;;) {
            std::string data = co_await r.read(buffer_size);
            if (data.empty()) break;
            w.write(data);
            co_await w.drain();
        }
    } catch (const net::connection_error&) {
    }
    w.close();
}

#if COROLLA_ECHO_FIBERS
void echo_fiber(net::socket conn) {
    std::vector<std::byte> buf(buffer_size);
    try {
        for (;;) {
            const std::size_t n = corolla::await(net::sock_recv_into(conn, buf));
            if (n == 0) break;
            corolla::await(net::sock_sendall(conn, std::string_view(reinterpret_cast<const char*>(buf.data()), n)));
        }
    } catch (const net::connection_error&) {
    }
}

void echo_fiber_streams(net::stream_reader r, net::stream_writer w) {
    try {
        for (;;) {
            std::string data = corolla::await(r.read(buffer_size));
            if (data.empty()) break;
            w.write(data);
            corolla::await(w.drain());
        }
    } catch (const net::connection_error&) {
    }
    w.close();
}
#endif

corolla::coro<void> accept_loop(net::socket& listener, bool fibers) {
    while (listener.is_open()) {
        net::accepted a = co_await net::sock_accept(listener);
        a.sock.set_nodelay(a.peer.family() != AF_UNIX);
#if COROLLA_ECHO_FIBERS
        if (fibers) {
            corolla::spawn_fiber(echo_fiber, std::move(a.sock));
            continue;
        }
#endif
        (void)fibers;
        corolla::create_task(echo_coro(std::move(a.sock)));
    }
}

[[noreturn]] void usage(int rc) {
    std::fprintf(rc ? stderr : stdout,
                 "usage: corolla_echo_server [--backend NAME] [--style coro|fiber] [--api sock|streams]\n"
                 "                           [--host ADDR] [--port N | --unix PATH] [--list-backends]\n"
                 "  --backend  a compiled backend (default: auto); --list-backends prints them\n"
                 "  --style    coroutine tasks (coro, default) or fibers per connection\n"
                 "  --api      sock_* operations (default) or streams (reader/writer)\n"
                 "  --host     numeric address to listen on (default 127.0.0.1)\n"
                 "  --port     TCP port, 0 for any (default 0); prints 'listening on <port>'\n"
                 "  --unix     listen on a Unix socket path instead\n");
    std::exit(rc);
}

}  // namespace

int main(int argc, char** argv) {
    std::string backend = "auto", style = "coro", api = "sock", host = "127.0.0.1", unix_path;
    int port = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(2);
            return argv[++i];
        };
        if (a == "--backend")
            backend = value();
        else if (a == "--style")
            style = value();
        else if (a == "--api")
            api = value();
        else if (a == "--host")
            host = value();
        else if (a == "--port")
            port = std::atoi(value().c_str());
        else if (a == "--unix")
            unix_path = value();
        else if (a == "--list-backends") {
            for (const std::string& b : corolla::available_backends())
                std::printf("%s\n", b.c_str());
            return 0;
        } else if (a == "--help" || a == "-h")
            usage(0);
        else
            usage(2);
    }
    if (style != "coro" && style != "fiber") usage(2);
    if (api != "sock" && api != "streams") usage(2);
#if !COROLLA_ECHO_FIBERS
    if (style == "fiber") {
        std::fprintf(stderr, "corolla_echo_server: built without the fiber adapter\n");
        return 2;
    }
#endif
    try {
        corolla::event_loop loop(corolla::loop_options{.backend = backend});
        const bool fibers = style == "fiber";
        loop.add_signal_handler(SIGINT, [&] { loop.stop(); });
        loop.add_signal_handler(SIGTERM, [&] { loop.stop(); });
        net::server srv;
        net::socket listener;
        corolla::task<void> acceptor;
        if (api == "streams") {
#if COROLLA_ECHO_FIBERS
            if (fibers)
                srv = unix_path.empty() ? net::start_server(loop, echo_fiber_streams, host, port)
                                        : net::start_unix_server(loop, echo_fiber_streams, unix_path);
#endif
            if (!fibers)
                srv = unix_path.empty() ? net::start_server(loop, echo_coro_streams, host, port)
                                        : net::start_unix_server(loop, echo_coro_streams, unix_path);
            port = srv.port();
        } else {
            const net::address at =
                unix_path.empty() ? net::address::ip(host, port) : net::address::unix_path(unix_path);
            listener = net::socket(at.family(), SOCK_STREAM);
            listener.set_reuse_address(true);
            listener.bind(at);
            listener.listen(1024);
            port = listener.local_address().port();
            acceptor = corolla::create_task(loop, accept_loop(listener, fibers));
        }
        if (unix_path.empty())
            std::printf("listening on %d\n", port);
        else
            std::printf("listening on %s\n", unix_path.c_str());
        std::fflush(stdout);
        loop.run_forever();
        srv.close();
        // Cancel every connection's task and let them unwind before closing the loop.
        for (auto& t : corolla::all_tasks(loop))
            t.cancel("server stopping");
        for (int i = 0; i < 100 && !corolla::all_tasks(loop).empty(); ++i)
            loop.run_once(true);
        listener.close();
        loop.remove_signal_handler(SIGINT);
        loop.remove_signal_handler(SIGTERM);
        loop.close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "corolla_echo_server: %s\n", e.what());
        return 1;
    }
    return 0;
}
