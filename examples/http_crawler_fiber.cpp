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

#include "local_http.hpp"

namespace net = corolla::net;

namespace {
struct crawl {
    std::string host;
    int port = 0;
    std::string path;  // empty: /get?a=<i>, checked
    int requests = 100;
    int concurrency = 10;
};

struct tally {
    int ok = 0, wrong = 0, failed = 0, connections = 0;
};

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
    const std::string path = c.path.empty() ? "/get?a=" + std::to_string(i) : c.path;
    bool failed = false;
    int status = 0;
    std::string body;
    try {
        body = local_http::get_fiber(conn, path, false, &status);
    } catch (const corolla::error&) {
        failed = true;  // the server closed or answered what we cannot read
    }
    if (failed) {
        ++t.failed;
        conn.writer.close();
        return;
    }
    if (status < 200 || status > 299 || (c.path.empty() && local_http::arg_a(body) != std::to_string(i)))
        ++t.wrong;
    else
        ++t.ok;
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
    std::printf("%d GETs, at most %d at once, on %s: %d ok, %d wrong, %d failed, %d connections, %.0f req/s\n",
                c.requests, c.concurrency, std::string(loop.backend_name()).c_str(), t.ok, t.wrong, t.failed,
                t.connections, took > 0 ? c.requests / took : 0.0);
    const bool good = t.ok == c.requests && t.connections <= c.concurrency && missing_counted;
    if (self_test) std::printf("%s\n", good ? "every answer checked" : "UNEXPECTED ANSWERS");
    return good ? 0 : 1;
}

bool parse_url(const std::string& url, crawl& c) {  // host:port/path
    const auto colon = url.find(':'), slash = url.find('/');
    if (colon == std::string::npos) return false;
    c.host = url.substr(0, colon);
    c.port = std::atoi(url.substr(colon + 1, slash - colon - 1).c_str());
    c.path = slash == std::string::npos ? "/" : url.substr(slash);
    return c.port > 0;
}
}  // namespace

int main(int argc, char** argv) {
    crawl c;
    bool self_test = false, have_url = false;
    corolla::run_options options;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--self-test") {
            self_test = true;
        } else if (a == "--url" && i + 1 < argc && parse_url(argv[i + 1], c)) {
            have_url = true;
            ++i;
        } else if (a == "--requests" && i + 1 < argc) {
            c.requests = std::atoi(argv[++i]);
        } else if (a == "--concurrency" && i + 1 < argc) {
            c.concurrency = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--backend" && i + 1 < argc) {
            options.loop.backend = argv[++i];
        } else {
            have_url = self_test = false;
            break;
        }
    }
    if (self_test == have_url) {
        std::fprintf(stderr,
                     "usage: %s --self-test | --url HOST:PORT/PATH [--requests N] [--concurrency C] "
                     "[--backend NAME]\n",
                     argv[0]);
        return 2;
    }
    try {
        return corolla::run([&] { return main_fiber(c, self_test); }, std::move(options));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
