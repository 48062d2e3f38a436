// A small local stand-in for the web servers the seeds fetch from (httpbin.org's
// /get?a=X): an HTTP/1.1 keep-alive server answering `GET /get?a=X` with
// {"args": {"a": "X"}}, and a client fetching on one kept-alive connection. Each is
// written twice, as a coroutine and as a plain function for fibers.
//
// `response_delay` makes every answer take that long (on the loop's clock), standing in
// for the network, so that a limit such as a semaphore shows.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

#include <corolla/core/sleep.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/net/net.hpp>
#if __has_include(<corolla/fiber/fiber.hpp>)
#include <corolla/fiber/fiber.hpp>
#endif

#include "http_common.hpp"

namespace local_http {

namespace net = corolla::net;

inline std::chrono::milliseconds response_delay{0};

using http_example::header;

/// The answer to one request head; `keep_alive` says whether the connection stays open.
inline std::string answer(std::string_view head, bool& keep_alive) {
    const std::string line(head.substr(0, head.find("\r\n")));
    const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    const std::string target = sp1 == std::string::npos ? "" : line.substr(sp1 + 1, sp2 - sp1 - 1);
    keep_alive = line.ends_with("HTTP/1.1") && header(head, "Connection") != "close";
    std::string status = "200 OK", body;
    if (target.starts_with("/get?a=")) {
        body = "{\"args\": {\"a\": \"" + target.substr(7) + "\"}}";
    } else if (target == "/") {
        body = "Hello, world!";
    } else {
        status = "404 Not Found";
        body = "no such page\n";
    }
    return "HTTP/1.1 " + status +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + body;
}

/// The value of "a" in a /get?a=X answer (what the seeds read as data['args']['a']).
inline std::string arg_a(std::string_view json) {
    const std::string_view key = "\"a\": \"";
    const auto at = json.find(key);
    if (at == std::string_view::npos) return {};
    const auto start = at + key.size();
    return std::string(json.substr(start, json.find('"', start) - start));
}

inline std::string request(std::string_view path, bool close) {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (close ? "Connection: close\r\n" : "") +
           "\r\n";
}

// Coroutine style.

/// One connection: requests until the client closes or asks to.
inline corolla::coro<void> serve(net::stream_reader r, net::stream_writer w) {
    for (bool keep_alive = true; keep_alive;) {
        std::string head;
        bool ended = false;
        try {
            head = co_await r.readuntil("\r\n\r\n");
        } catch (const corolla::error&) {
            ended = true;  // the client closed between requests (or sent nonsense)
        }
        if (ended) break;
        if (response_delay.count() > 0) co_await corolla::sleep(response_delay);
        w.write(answer(head, keep_alive));
        co_await w.drain();
    }
    w.close();
}

/// GET `path` on an open connection; returns the body.
/// The status code of a response head ("HTTP/1.1 200 OK..." -> 200), 0 when malformed.
inline int status_of(std::string_view head) {
    const auto sp = head.find(' ');
    if (head.substr(0, 5) != "HTTP/" || sp == std::string_view::npos) return 0;
    return std::atoi(std::string(head.substr(sp + 1, 3)).c_str());
}

/// GETs `path`; the body, and the status code in *status when given.
inline corolla::coro<std::string> get(net::stream_pair& c, std::string_view path, bool close = false,
                                      int* status = nullptr) {
    c.writer.write(request(path, close));
    co_await c.writer.drain();
    const std::string head = co_await c.reader.readuntil("\r\n\r\n");
    if (status) *status = status_of(head);
    co_return co_await c.reader.readexactly(std::strtoull(header(head, "Content-Length").c_str(), nullptr, 10));
}

#if __has_include(<corolla/fiber/fiber.hpp>)
// Fiber style: the same, as plain functions (a handler returning void runs as a fiber).

inline void serve_fiber(net::stream_reader r, net::stream_writer w) {
    for (bool keep_alive = true; keep_alive;) {
        std::string head;
        try {
            head = corolla::await(r.readuntil("\r\n\r\n"));
        } catch (const corolla::error&) {
            break;
        }
        if (response_delay.count() > 0) corolla::this_fiber::sleep(response_delay);
        w.write(answer(head, keep_alive));
        corolla::await(w.drain());
    }
    w.close();
}

inline std::string get_fiber(net::stream_pair& c, std::string_view path, bool close = false, int* status = nullptr) {
    c.writer.write(request(path, close));
    corolla::await(c.writer.drain());
    const std::string head = corolla::await(c.reader.readuntil("\r\n\r\n"));
    if (status) *status = status_of(head);
    return corolla::await(c.reader.readexactly(std::strtoull(header(head, "Content-Length").c_str(), nullptr, 10)));
}
#endif

}  // namespace local_http
