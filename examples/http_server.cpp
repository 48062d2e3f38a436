// A minimal HTTP/1.1 keep-alive "hello" server on corolla's streams, one coroutine task per
// connection, usable with standard load generators:
//
//   example_http_server --port 8080 [--backend epoll|poll|select|io_uring]
//   wrk -t1 -c100 -d10s http://127.0.0.1:8080/
//
// `--self-test` (what CTest runs) serves on an ephemeral port and drives it with 20
// keep-alive clients of 5 requests each, written with open_connection, readuntil and
// readexactly; every response is checked, and the program exits non-zero on any surprise.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/coro/run.hpp>
#include <corolla/net/net.hpp>

#include "http_common.hpp"

namespace net = corolla::net;

namespace {

/// One connection: requests until the client closes or asks to.
corolla::coro<void> serve(net::stream_reader r, net::stream_writer w) {
    bool keep_alive = true;
    while (keep_alive) {
        std::string head;
        std::exception_ptr failed;
        try {
            head = co_await r.readuntil("\r\n\r\n");
        } catch (const corolla::error&) {
            failed = std::current_exception();
        }
        const std::optional<http_example::request> q = http_example::accept_head(head, failed, w);
        if (!q) break;
        keep_alive = q->keep_alive;
        if (q->body_length > 0) co_await r.readexactly(q->body_length);  // a body we ignore
        w.write(http_example::answer(*q));
        co_await w.drain();
    }
    w.close();
}

/// A keep-alive client making `n` requests on one connection; the last one closes.
corolla::coro<int> client(int port, int n) {
    net::stream_pair c = co_await net::open_connection("127.0.0.1", port);
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        const bool last = i == n - 1;
        const std::string path = i == 1 ? "/missing" : "/";
        c.writer.write(http_example::get_request(path, last));
        co_await c.writer.drain();
        const std::string head = co_await c.reader.readuntil("\r\n\r\n");
        const std::string body = co_await c.reader.readexactly(
            std::strtoull(http_example::header(head, "Content-Length").c_str(), nullptr, 10));
        if (http_example::answered_as_expected(path, head, body)) ++ok;
    }
    const std::string rest = co_await c.reader.read();  // the server closes after the last
    if (!rest.empty() || !c.reader.at_eof()) ok = -1;
    c.writer.close();
    co_return ok;
}

corolla::coro<int> self_test() {
    corolla::event_loop& loop = *corolla::event_loop::running();
    net::server srv = net::start_server(loop, serve, "127.0.0.1", 0);
    constexpr int clients = 20, requests = 5;
    std::vector<corolla::task<int>> tasks;
    for (int i = 0; i < clients; ++i)
        tasks.push_back(corolla::create_task(client(srv.port(), requests)));
    int ok = 0;
    for (auto& t : tasks)
        ok += co_await t;
    srv.close();
    co_await srv.wait_closed();
    std::printf("%d clients x %d keep-alive requests on %s: %d answered as expected\n", clients, requests,
                std::string(loop.backend_name()).c_str(), ok);
    co_return ok == clients* requests ? 0 : 1;
}

corolla::coro<int> serve_forever(int port) {
    corolla::event_loop& loop = *corolla::event_loop::running();
    net::server srv = net::start_server(loop, serve, "127.0.0.1", port);
    std::printf("serving http://127.0.0.1:%d/ on %s (Ctrl+C stops)\n", srv.port(),
                std::string(loop.backend_name()).c_str());
    std::fflush(stdout);
    co_await srv.serve_forever();
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    http_example::server_args args;
    if (!http_example::parse_server_args(argc, argv, args)) return 2;
    const int port = args.port;
    corolla::run_options options = std::move(args.options);
    try {
        if (args.self_test) return corolla::run(self_test(), std::move(options));
        return corolla::run(serve_forever(port), std::move(options));
    } catch (const corolla::cancelled_error&) {
        return 0;  // Ctrl+C
    } catch (const std::exception& e) {
        std::fprintf(stderr, "example_http_server: %s\n", e.what());
        return 1;
    }
}
