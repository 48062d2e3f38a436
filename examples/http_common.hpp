// The parts of the HTTP examples that do not depend on the execution style: reading a
// request head, writing a response, the command lines of the server and the crawler, and
// the crawler's report. http_server.cpp / http_server_fiber.cpp and http_crawler.cpp /
// http_crawler_fiber.cpp keep only what differs between coroutines and fibers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <corolla/core/runner.hpp>
#include <corolla/net/net.hpp>

namespace http_example {

inline constexpr std::string_view hello = "Hello, world!";

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

/// The header's value (name matched case-insensitively), or "".
inline std::string header(std::string_view head, std::string_view name) {
    const std::string h = lower(head);
    const std::string key = "\r\n" + lower(name) + ":";
    const auto at = h.find(key);
    if (at == std::string::npos) return {};
    auto start = at + key.size();
    const auto end = h.find("\r\n", start);
    while (start < end && h[start] == ' ')
        ++start;
    return h.substr(start, end - start);
}

inline std::string response(int status, std::string_view reason, std::string_view body, bool close) {
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                    "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (close) r += "Connection: close\r\n";
    r += "\r\n";
    r += body;
    return r;
}

/// What a request head asks for.
struct request {
    bool bad = false;  ///< no request line to read: answer 400 and close
    std::string target;
    bool keep_alive = false;
    std::size_t body_length = 0;  ///< a body to read and ignore
};

inline request parse_request(std::string_view head) {
    request q;
    const std::string line(head.substr(0, head.find("\r\n")));
    const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) {
        q.bad = true;
        return q;
    }
    q.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string version = line.substr(sp2 + 1);
    const std::string connection = header(head, "Connection");
    q.keep_alive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
    if (const std::string len = header(head, "Content-Length"); !len.empty())
        q.body_length = std::strtoull(len.c_str(), nullptr, 10);
    return q;
}

/// The hello server's answer to `q`.
inline std::string answer(const request& q) {
    if (q.target == "/") return response(200, "OK", hello, !q.keep_alive);
    return response(404, "Not Found", "no such page\n", !q.keep_alive);
}

/// What the server does once it has tried to read a request head: `failed` is what that
/// read threw, if anything. Returns the request to answer, or nothing when the connection
/// ends: the client closed or reset it, or the head was too long (431) or unreadable (400),
/// which is answered here. Rethrows any other failure.
inline std::optional<request> accept_head(const std::string& head, std::exception_ptr failed,
                                          corolla::net::stream_writer& w) {
    if (failed) {
        try {
            std::rethrow_exception(failed);
        } catch (const corolla::net::incomplete_read_error&) {
            return std::nullopt;  // the client closed between requests
        } catch (const corolla::net::limit_overrun_error&) {
            w.write(response(431, "Request Header Fields Too Large", "", true));
            return std::nullopt;
        } catch (const corolla::net::connection_error&) {
            return std::nullopt;
        }
    }
    request q = parse_request(head);
    if (!q.bad) return q;
    w.write(response(400, "Bad Request", "", true));
    return std::nullopt;
}

/// The self-test client's check of the answer to `path`.
inline bool answered_as_expected(std::string_view path, std::string_view head, std::string_view body) {
    if (path == "/") return head.starts_with("HTTP/1.1 200 OK\r\n") && body == hello;
    return head.starts_with("HTTP/1.1 404 Not Found\r\n");
}

/// The request the self-test client sends.
inline std::string get_request(std::string_view path, bool close) {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" + (close ? "Connection: close\r\n" : "") +
           "\r\n";
}

struct server_args {
    bool self_test = false;
    int port = 8080;
    corolla::run_options options;
};

/// --self-test, --port N, --backend NAME; false (after printing the usage) otherwise.
inline bool parse_server_args(int argc, char** argv, server_args& out) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--self-test") {
            out.self_test = true;
        } else if (a == "--port" && i + 1 < argc) {
            out.port = std::atoi(argv[++i]);
        } else if (a == "--backend" && i + 1 < argc) {
            out.options.loop.backend = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--self-test] [--port N] [--backend NAME]\n", argv[0]);
            return false;
        }
    }
    return true;
}

// --- the crawler ------------------------------------------------------------------------

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

/// The path of request `i`: the crawl's own, or /get?a=<i> (whose answer is checked).
inline std::string path_of(const crawl& c, int i) { return c.path.empty() ? "/get?a=" + std::to_string(i) : c.path; }

/// Counts the answer to request `i` as ok or wrong: `a` is the argument the answer
/// echoes (local_http::arg_a of its body).
inline void count_answer(const crawl& c, int i, int status, const std::string& a, tally& t) {
    if (status < 200 || status > 299 || (c.path.empty() && a != std::to_string(i)))
        ++t.wrong;
    else
        ++t.ok;
}

inline bool parse_url(const std::string& url, crawl& c) {  // host:port/path
    const auto colon = url.find(':'), slash = url.find('/');
    if (colon == std::string::npos) return false;
    c.host = url.substr(0, colon);
    c.port = std::atoi(url.substr(colon + 1, slash - colon - 1).c_str());
    c.path = slash == std::string::npos ? "/" : url.substr(slash);
    return c.port > 0;
}

struct crawler_args {
    crawl c;
    bool self_test = false;
    corolla::run_options options;
};

/// --self-test | --url HOST:PORT/PATH, with --requests, --concurrency, --backend; false
/// (after printing the usage) otherwise.
inline bool parse_crawler_args(int argc, char** argv, crawler_args& out) {
    bool have_url = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--self-test") {
            out.self_test = true;
        } else if (a == "--url" && i + 1 < argc && parse_url(argv[i + 1], out.c)) {
            have_url = true;
            ++i;
        } else if (a == "--requests" && i + 1 < argc) {
            out.c.requests = std::atoi(argv[++i]);
        } else if (a == "--concurrency" && i + 1 < argc) {
            out.c.concurrency = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--backend" && i + 1 < argc) {
            out.options.loop.backend = argv[++i];
        } else {
            have_url = out.self_test = false;
            break;
        }
    }
    if (out.self_test == have_url) {
        std::fprintf(stderr,
                     "usage: %s --self-test | --url HOST:PORT/PATH [--requests N] [--concurrency C] "
                     "[--backend NAME]\n",
                     argv[0]);
        return false;
    }
    return true;
}

/// Prints the crawl's figures; the exit status: 0 when every answer was right, no more
/// connections were opened than allowed, and (self-test) the missing page counted wrong.
inline int report(const crawl& c, std::string_view backend, const tally& t, double took, bool self_test,
                  bool missing_counted) {
    std::printf("%d GETs, at most %d at once, on %s: %d ok, %d wrong, %d failed, %d connections, %.0f req/s\n",
                c.requests, c.concurrency, std::string(backend).c_str(), t.ok, t.wrong, t.failed, t.connections,
                took > 0 ? c.requests / took : 0.0);
    const bool good = t.ok == c.requests && t.connections <= c.concurrency && missing_counted;
    if (self_test) std::printf("%s\n", good ? "every answer checked" : "UNEXPECTED ANSWERS");
    return good ? 0 : 1;
}

}  // namespace http_example
