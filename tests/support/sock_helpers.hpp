// Helpers of the socket-operation suite (net/sock_test.cpp): a listener, echo server and
// client tasks with checksums, and the loop-stepping the fault tests use. Written once for
// both styles (include after support/style.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <corolla/net/sock_ops.hpp>

#include "support/bytes.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

namespace corolla::test::sock {

namespace net = corolla::net;

inline net::socket tcp_listener(net::address& bound) {
    net::socket l(AF_INET, SOCK_STREAM);
    l.set_reuse_address(true);
    l.bind(net::address::ipv4("127.0.0.1", 0));
    l.listen(64);
    bound = l.local_address();
    return l;
}

inline std::string unix_path(const char* tag) {
    return "/tmp/corolla-test-" + std::to_string(::getpid()) + "-" + tag + "-" + test::style_name;
}

/// Echoes everything until EOF, then closes.
inline TASK(void) echo_connection(net::socket conn) {
    std::vector<std::byte> buf(4096);
    for (;;) {
        const std::size_t n = AWAIT(net::sock_recv_into(conn, buf));
        if (n == 0) break;
        AWAIT(net::sock_sendall(conn, std::string_view(reinterpret_cast<const char*>(buf.data()), n)));
    }
    RETURN;
}

inline TASK(void) serve_one(net::socket& listener) {
    net::accepted a = AWAIT(net::sock_accept(listener));
    CALL(echo_connection(std::move(a.sock)));
    RETURN;
}

/// Sends `total` random bytes in random chunks while reading the echo back; returns
/// (checksum sent, checksum received, bytes received).
struct echo_report {
    std::uint64_t sent = 0, received = 0;
    std::size_t bytes = 0;
};
inline TASK(echo_report) echo_client(net::socket& s, std::size_t total, unsigned seed) {
    std::mt19937 rng(seed);
    echo_report r;
    r.sent = r.received = fnv1a({});
    std::size_t sent = 0;
    while (sent < total) {
        const std::size_t chunk = std::min<std::size_t>(total - sent, 1 + rng() % 3000);
        std::string data = random_bytes(rng, chunk);
        r.sent = fnv1a(data, r.sent);
        AWAIT(net::sock_sendall(s, std::move(data)));
        sent += chunk;
        // Read back what was sent, in whatever pieces arrive.
        std::size_t got = 0;
        while (got < chunk) {
            std::string part = AWAIT(net::sock_recv(s, 1 + rng() % 5000));
            BOOST_REQUIRE(!part.empty());
            got += part.size();
            r.received = fnv1a(part, r.received);
        }
        BOOST_REQUIRE(got == chunk);  // ping-pong: nothing beyond what was sent
        r.bytes += got;
    }
    s.shutdown(SHUT_WR);
    std::string rest = AWAIT(net::sock_recv(s, 100));
    BOOST_TEST(rest.empty());
    RETURN r;
}

/// Lets started tasks run until they wait (a few iterations, without blocking).
inline void run_briefly(corolla::event_loop& loop) {
    for (int i = 0; i < 3; ++i)
        loop.run_once(true);
}

inline void run_echo(loop_fixture& fx, net::socket& listener, const net::address& to, int family) {
    auto& loop = fx.loop();
    auto server = test::spawn(loop, serve_one, std::ref(listener));
    net::socket client(family, SOCK_STREAM);
    auto c = test::spawn(loop, [&]() -> TASK(echo_report) {
        AWAIT(net::sock_connect(client, to));
        RETURN CALL(echo_client(client, 200000, 7));
    });
    const echo_report r = loop.run_until_complete(c);
    loop.run_until_complete(server);
    BOOST_TEST(r.bytes == 200000u);
    BOOST_TEST(r.sent == r.received);
}

}  // namespace corolla::test::sock
