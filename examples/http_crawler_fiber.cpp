// The concurrent HTTP/1.1 client of http_crawler.cpp in fiber style: each GET is a fiber,
// a plain function that reads like blocking code; the semaphore, the pool of kept-alive
// connections and the streams are the same objects.
//
//   example_http_crawler_fiber --self-test                 (what CTest runs)
//   example_http_crawler_fiber --url 127.0.0.1:8080/ [--requests N] [--concurrency C] [--backend NAME]
//
// --self-test starts a local server (examples/local_http.hpp) and fetches /get?a=0 ..
// /get?a=N-1, checking every answer; --url fetches the same path N times from a server
// of yours (numeric host; the answer needs a Content-Length; one that is not 2xx counts as wrong), e.g.
// example_http_server.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/run.hpp>
#include <corolla/net/net.hpp>
#include <corolla/sync/semaphore.hpp>

#include "http_common.hpp"
#include "local_http.hpp"

namespace net = corolla::net;

namespace {
using http_example::crawl;
using http_example::tally;

void fetch(const crawl& c, int i, corolla::semaphore& sema, std::vector<net::stream_pair>& idle, tally& t) {
    auto permit = corolla::await(sema.scoped());  // at most `concurrency` at once
    net::stream_pair conn;
    if (!idle.empty()) {
        conn = std::move(idle.back());  // keep-alive: reuse a connection
        idle.pop_back();
    } else {
        conn = corolla::await(net::open_connection(c.host, c.port));
        ++t.connections;
    }
    int status = 0;
    std::string body;
    try {
        body = local_http::get_fiber(conn, http_example::path_of(c, i), false, &status);
    } catch (const corolla::error&) {
        ++t.failed;  // the server closed or answered what we cannot read
        conn.writer.close();
        return;
    }
    http_example::count_answer(c, i, status, local_http::arg_a(body), t);
    idle.push_back(std::move(conn));
}

tally crawl_all(const crawl& c) {
    corolla::event_loop& loop = *corolla::event_loop::running();
    corolla::semaphore sema(c.concurrency);
    std::vector<net::stream_pair> idle;
    tally t;
    std::vector<corolla::future<void>> tasks;
    for (int i = 0; i < c.requests; ++i)
        tasks.push_back(corolla::spawn_fiber(fetch, std::cref(c), i, std::ref(sema), std::ref(idle), std::ref(t)));
    corolla::await(corolla::wait(loop, tasks));
    for (auto& conn : idle)
        conn.writer.close();
    return t;
}

int main_fiber(crawl c, bool self_test) {
    corolla::event_loop& loop = *corolla::event_loop::running();
    std::optional<net::server> srv;
    if (self_test) {
        srv = net::start_server(loop, local_http::serve_fiber, "127.0.0.1", 0);
        c.host = "127.0.0.1";
        c.port = srv->port();
    }
    const auto t0 = std::chrono::steady_clock::now();
    tally t = crawl_all(c);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bool missing_counted = true;
    if (self_test) {  // a page the server does not have (404) counts as wrong, not ok
        crawl missing = c;
        missing.path = "/missing";
        missing.requests = 3;
        const tally m = crawl_all(missing);
        missing_counted = m.wrong == 3 && m.ok == 0;
    }
    if (srv) {
        srv->close();
        corolla::await(srv->wait_closed());
    }
    return http_example::report(c, loop.backend_name(), t, took, self_test, missing_counted);
}

}  // namespace

int main(int argc, char** argv) {
    http_example::crawler_args args;
    if (!http_example::parse_crawler_args(argc, argv, args)) return 2;
    const crawl c = args.c;
    const bool self_test = args.self_test;
    corolla::run_options options = std::move(args.options);
    try {
        return corolla::run([&] { return main_fiber(c, self_test); }, std::move(options));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
