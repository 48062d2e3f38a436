// The minimal HTTP/1.1 keep-alive "hello" server of http_server.cpp in fiber style: the
// handler returns void, so start_server runs each connection as a fiber, and the code
// reads like a blocking server. Usable with standard load generators:
//
//   example_http_server_fiber --port 8080 [--backend epoll|poll|select|io_uring]
//   wrk -t1 -c100 -d10s http://127.0.0.1:8080/
//
// `--self-test` (what CTest runs) serves on an ephemeral port and drives it with 20
// keep-alive clients of 5 requests each, written with open_connection, readuntil and
// readexactly; every response is checked, and the program exits non-zero on any surprise.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/run.hpp>
#include <corolla/net/net.hpp>

namespace net = corolla::net;

namespace {

constexpr std::string_view hello = "Hello, world!";

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

/// The header's value (case-insensitive name), or "".
std::string header(std::string_view head, std::string_view name) {
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

std::string response(int status, std::string_view reason, std::string_view body, bool close) {
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                    "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (close) r += "Connection: close\r\n";
    r += "\r\n";
    r += body;
    return r;
}

/// One connection: requests until the client closes or asks to.
void serve(net::stream_reader r, net::stream_writer w) {
    bool keep_alive = true;
    while (keep_alive) {
        std::string head;
        bool too_long = false;
        try {
            head = corolla::await(r.readuntil("\r\n\r\n"));
        } catch (const net::incomplete_read_error&) {
            break;  // the client closed between requests
        } catch (const net::limit_overrun_error&) {
            too_long = true;
        } catch (const net::connection_error&) {
            break;
        }
        if (too_long) {
            w.write(response(431, "Request Header Fields Too Large", "", true));
            break;
        }
        const auto line_end = head.find("\r\n");
        const std::string line = head.substr(0, line_end);
        const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
        if (sp1 == std::string::npos || sp2 == sp1) {
            w.write(response(400, "Bad Request", "", true));
            break;
        }
        const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string version = line.substr(sp2 + 1);
        const std::string connection = header(head, "Connection");
        keep_alive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
        if (const std::string len = header(head, "Content-Length"); !len.empty())
            corolla::await(r.readexactly(std::strtoull(len.c_str(), nullptr, 10)));  // a body we ignore
        if (target == "/")
            w.write(response(200, "OK", hello, !keep_alive));
        else
            w.write(response(404, "Not Found", "no such page\n", !keep_alive));
        corolla::await(w.drain());
    }
    w.close();
}

/// A keep-alive client making `n` requests on one connection; the last one closes.
int client(int port, int n) {
    net::stream_pair c = corolla::await(net::open_connection("127.0.0.1", port));
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        const bool last = i == n - 1;
        const std::string path = i == 1 ? "/missing" : "/";
        c.writer.write("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + (last ? "Connection: close\r\n" : "") +
                       "\r\n");
        corolla::await(c.writer.drain());
        const std::string head = corolla::await(c.reader.readuntil("\r\n\r\n"));
        const std::string body =
            corolla::await(c.reader.readexactly(std::strtoull(header(head, "Content-Length").c_str(), nullptr, 10)));
        const bool expected = path == "/" ? head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0 && body == hello
                                          : head.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0;
        if (expected) ++ok;
    }
    const std::string rest = corolla::await(c.reader.read());  // the server closes after the last
    if (!rest.empty() || !c.reader.at_eof()) ok = -1;
    c.writer.close();
    return ok;
}

int self_test() {
    corolla::event_loop& loop = *corolla::event_loop::running();
    net::server srv = net::start_server(loop, serve, "127.0.0.1", 0);
    constexpr int clients = 20, requests = 5;
    std::vector<corolla::task<int>> tasks;
    for (int i = 0; i < clients; ++i)
        tasks.push_back(corolla::spawn_fiber(client, srv.port(), requests));
    int ok = 0;
    for (auto& t : tasks)
        ok += corolla::await(t);
    srv.close();
    corolla::await(srv.wait_closed());
    std::printf("%d clients x %d keep-alive requests on %s: %d answered as expected\n", clients, requests,
                std::string(loop.backend_name()).c_str(), ok);
    return ok == clients * requests ? 0 : 1;
}

int serve_forever(int port) {
    corolla::event_loop& loop = *corolla::event_loop::running();
    net::server srv = net::start_server(loop, serve, "127.0.0.1", port);
    std::printf("serving http://127.0.0.1:%d/ on %s (Ctrl+C stops)\n", srv.port(),
                std::string(loop.backend_name()).c_str());
    std::fflush(stdout);
    corolla::await(srv.serve_forever());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    bool self = false;
    int port = 8080;
    corolla::run_options options;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--self-test") {
            self = true;
        } else if (a == "--port" && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else if (a == "--backend" && i + 1 < argc) {
            options.loop.backend = argv[++i];
        } else {
            std::fprintf(stderr, "usage: example_http_server_fiber [--self-test] [--port N] [--backend NAME]\n");
            return 2;
        }
    }
    try {
        if (self) return corolla::run(self_test, std::move(options));
        return corolla::run([port] { return serve_forever(port); }, std::move(options));
    } catch (const corolla::cancelled_error&) {
        return 0;  // Ctrl+C
    } catch (const std::exception& e) {
        std::fprintf(stderr, "example_http_server_fiber: %s\n", e.what());
        return 1;
    }
}
