// The low-level socket operations (asyncio's loop.sock_*): echo over TCP, Unix and UDP
// with random chunk sizes and checksums, cancellation at each point (waiting, completed
// but not yet resumed), close while a read waits, and the OS faults: refused, reset,
// broken pipe (never SIGPIPE), tiny send buffers, data and hang-up together, connect
// timeouts, fd churn without leaks, bad addresses. Both styles, every backend.
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <corolla/core/combinators.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/net/errors.hpp>
#include <corolla/net/sock_ops.hpp>

#include "support/backend_matrix.hpp"
#include "support/bytes.hpp"
#include "support/loop_fixture.hpp"
#include "support/sock_helpers.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
using corolla::test::clock_kind;
using corolla::test::loop_fixture;
namespace test = corolla::test;
namespace net = corolla::net;
using corolla::test::fnv1a;
using corolla::test::random_bytes;

using namespace corolla::test::sock;  // NOLINT: the suite's own helpers

COROLLA_BACKEND_TEST(tcp_echo_with_random_chunks_keeps_every_byte_in_order) {
    loop_fixture fx(backend, clock_kind::real);
    net::address at;
    net::socket listener = tcp_listener(at);
    BOOST_TEST(at.port() != 0);
    run_echo(fx, listener, at, AF_INET);
}

COROLLA_BACKEND_TEST(tcp_echo_over_ipv6_loopback) {
    loop_fixture fx(backend, clock_kind::real);
    net::socket listener;
    try {
        listener = net::socket(AF_INET6, SOCK_STREAM);
        listener.bind(net::address::ipv6("::1", 0));
    } catch (const net::os_error& e) {
        BOOST_TEST_MESSAGE("IPv6 loopback unavailable here: " << e.what());
        return;
    }
    listener.listen(8);
    const net::address at = listener.local_address();
    BOOST_TEST(at.to_string().rfind("[::1]:", 0) == 0u);
    run_echo(fx, listener, at, AF_INET6);
}

COROLLA_BACKEND_TEST(unix_echo_over_a_path_and_an_abstract_name) {
    loop_fixture fx(backend, clock_kind::real);
    for (const std::string& path : {unix_path("echo"), "@" + unix_path("abstract")}) {
        if (path[0] != '@') ::unlink(path.c_str());
        net::socket listener(AF_UNIX, SOCK_STREAM);
        const net::address at = net::address::unix_path(path);
        listener.bind(at);
        listener.listen(8);
        BOOST_TEST(listener.local_address().path() == path);
        run_echo(fx, listener, at, AF_UNIX);
        if (path[0] != '@') ::unlink(path.c_str());
    }
}

COROLLA_BACKEND_TEST(udp_datagrams_connected_and_unconnected) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    net::socket a(AF_INET, SOCK_DGRAM), b(AF_INET, SOCK_DGRAM);
    a.bind(net::address::ipv4("127.0.0.1", 0));
    b.bind(net::address::ipv4("127.0.0.1", 0));
    const net::address aa = a.local_address(), ba = b.local_address();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        std::mt19937 rng(3);
        std::uint64_t sent = fnv1a({}), got = fnv1a({});
        for (int i = 0; i < 200; ++i) {
            std::string d = random_bytes(rng, 1 + rng() % 1400);
            sent = fnv1a(d, sent);
            const std::size_t n = AWAIT(net::sock_sendto(a, d, ba));
            BOOST_REQUIRE(n == d.size());
            net::datagram g = AWAIT(net::sock_recvfrom(b, 2048));
            BOOST_REQUIRE(g.data.size() == d.size());  // datagram boundaries are kept
            BOOST_REQUIRE(g.from == aa);
            got = fnv1a(g.data, got);
        }
        BOOST_TEST(sent == got);
        // Connected: b talks only to a; plain send / recv_into.
        ::connect(b.fileno(), aa.native(), aa.size());
        AWAIT(net::sock_sendall(b, std::string_view("pong")));
        std::vector<std::byte> buf(16);
        auto [n, from] = AWAIT(net::sock_recvfrom_into(a, buf));
        BOOST_TEST(n == 4u);
        BOOST_TEST(from == ba);
        // An empty datagram is a datagram, not EOF.
        AWAIT(net::sock_sendto(a, std::string_view(), ba));
        std::string empty = AWAIT(net::sock_recv(b, 16));
        BOOST_TEST(empty.empty());
        RETURN;
    });
    loop.run_until_complete(t);
}

COROLLA_BACKEND_TEST(cancelled_recv_loses_nothing_and_leaves_no_request) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto [x, y] = net::socket::pair();
    auto reader = test::spawn(loop, [&]() -> TASK(std::string) {
        std::string got = AWAIT(net::sock_recv(x, 100));
        RETURN got;
    });
    run_briefly(loop);  // the reader waits now
    BOOST_TEST(loop.stats().io_requests == 1u);
    reader.cancel();
    BOOST_CHECK_THROW(loop.run_until_complete(reader), corolla::cancelled_error);
    BOOST_TEST(loop.stats().io_requests == 0u);
    ::send(y.fileno(), "abc", 3, 0);
    auto again = test::spawn(loop, [&]() -> TASK(std::string) {
        std::string got = AWAIT(net::sock_recv(x, 100));
        RETURN got;
    });
    BOOST_TEST(loop.run_until_complete(again) == "abc");
}

COROLLA_BACKEND_TEST(recv_completed_before_a_cancel_returns_its_bytes_first) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto [x, y] = net::socket::pair();
    std::vector<std::string> log;
    corolla::task<void> reader;
    reader = test::spawn(loop, [&]() -> TASK(void) {
        std::string got = AWAIT(net::sock_recv(x, 100));
        log.push_back("got " + got);
        try {
            AWAIT(corolla::sleep(1s));
            log.push_back("slept");
        } catch (const corolla::cancelled_error&) {
            log.push_back("cancelled at the next await");
            throw;
        }
        RETURN;
    });
    run_briefly(loop);
    // The bytes arrive; in the next iteration the poll completes the receive (queuing the
    // reader's step) and a callback queued earlier cancels the reader before it runs.
    loop.call_soon([&] {
        ::send(y.fileno(), "xyz", 3, 0);
        loop.call_soon([&] { BOOST_TEST(reader.cancel()); });
    });
    BOOST_CHECK_THROW(loop.run_until_complete(reader), corolla::cancelled_error);
    BOOST_TEST(log == (std::vector<std::string>{"got xyz", "cancelled at the next await"}));
}

COROLLA_BACKEND_TEST(closing_a_socket_fails_the_read_waiting_on_it) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto [x, y] = net::socket::pair();
    auto reader = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(net::sock_recv(x, 100));
        RETURN;
    });
    auto closer = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(corolla::sleep(0s));
        x.close();
        RETURN;
    });
    loop.run_until_complete(closer);
    BOOST_CHECK_THROW(loop.run_until_complete(reader), net::socket_closed_error);
    // A closed socket refuses new operations with the same error.
    auto late = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(net::sock_recv(x, 1));
        RETURN;
    });
    BOOST_CHECK_THROW(loop.run_until_complete(late), net::socket_closed_error);
}

COROLLA_BACKEND_TEST(connection_refused_reset_and_broken_pipe_are_typed) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    net::address dead;
    { net::socket l = tcp_listener(dead); }  // nothing listens there any more
    auto refused = test::spawn(loop, [&]() -> TASK(void) {
        net::socket s(AF_INET, SOCK_STREAM);
        AWAIT(net::sock_connect(s, dead));
        RETURN;
    });
    int refused_code = 0;
    try {
        loop.run_until_complete(refused);
    } catch (const net::connection_refused_error& e) {
        refused_code = e.code();
    }
    BOOST_TEST(refused_code == ECONNREFUSED);

    net::address at;
    net::socket listener = tcp_listener(at);
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        net::socket c(AF_INET, SOCK_STREAM);
        AWAIT(net::sock_connect(c, at));
        net::accepted a = AWAIT(net::sock_accept(listener));
        BOOST_TEST(a.peer == c.local_address());
        // Abortive close (SO_LINGER 0) resets the connection: the reader sees ECONNRESET.
        struct linger lg {
            1, 0
        };
        ::setsockopt(a.sock.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        a.sock.close();
        bool reset = false;
        try {
            AWAIT(net::sock_recv(c, 10));
        } catch (const net::connection_reset_error& e) {
            reset = e.code() == ECONNRESET;
        }
        BOOST_TEST(reset);

        // Writing to a peer that closed: EPIPE as broken_pipe_error, and no SIGPIPE
        // (which would kill this test process).
        net::socket d(AF_INET, SOCK_STREAM);
        AWAIT(net::sock_connect(d, at));
        net::accepted b = AWAIT(net::sock_accept(listener));
        b.sock.close();
        bool broken = false;
        try {
            for (int i = 0; i < 100; ++i) {
                AWAIT(net::sock_sendall(d, std::string(65536, 'x')));
                AWAIT(corolla::sleep(1ms));
            }
        } catch (const net::broken_pipe_error&) {
            broken = true;
        } catch (const net::connection_reset_error&) {
            broken = true;  // the first write after the close draws a RST, the next EPIPE
        }
        BOOST_TEST(broken);
        RETURN;
    });
    loop.run_until_complete(t);
}

COROLLA_BACKEND_TEST(a_reset_while_the_read_waits_fails_it_with_connection_reset) {
    // The read waits (registered with the selector, or in the kernel) when the RST comes,
    // so the reset reaches it through the backend's report, not through a later recv().
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    net::address at;
    net::socket listener = tcp_listener(at);
    net::socket c(AF_INET, SOCK_STREAM);
    net::socket peer;
    auto setup = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(net::sock_connect(c, at));
        net::accepted a = AWAIT(net::sock_accept(listener));
        peer = std::move(a.sock);
        RETURN;
    });
    loop.run_until_complete(setup);
    int code = 0;
    auto reader = test::spawn(loop, [&]() -> TASK(void) {
        try {
            AWAIT(net::sock_recv(c, 10));
        } catch (const net::connection_reset_error& e) {
            code = e.code();
        }
        RETURN;
    });
    run_briefly(loop);
    BOOST_TEST_REQUIRE(loop.stats().io_requests == 1u);  // the read waits
    struct linger lg {
        1, 0
    };
    BOOST_TEST_REQUIRE(::setsockopt(peer.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    peer.close();  // abortive close: RST
    loop.run_until_complete(reader);
    BOOST_TEST(code == ECONNRESET);
    // The reset was reported once; what follows is the closed connection's EOF, as a
    // socket tells it to the read after the one that failed.
    auto after = test::spawn(loop, [&]() -> TASK(std::string) {
        std::string got = AWAIT(net::sock_recv(c, 10));
        RETURN got;
    });
    BOOST_TEST(loop.run_until_complete(after).empty());
}

COROLLA_BACKEND_TEST(tiny_send_buffer_partial_writes_deliver_everything) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto [x, y] = net::socket::pair();
    x.set_option(SOL_SOCKET, SO_SNDBUF, 4096);
    y.set_option(SOL_SOCKET, SO_RCVBUF, 4096);
    std::mt19937 rng(11);
    const std::string data = random_bytes(rng, 1 << 20);
    auto writer = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(net::sock_sendall(x, data));
        x.shutdown(SHUT_WR);
        RETURN;
    });
    auto reader = test::spawn(loop, [&]() -> TASK(std::string) {
        std::string all;
        for (;;) {
            std::string part = AWAIT(net::sock_recv(y, 1 + rng() % 3000));
            if (part.empty()) break;
            all += part;
            if (all.size() % 7 == 0) AWAIT(corolla::sleep(0s));  // a slow reader now and then
        }
        RETURN all;
    });
    loop.run_until_complete(writer);
    const std::string got = loop.run_until_complete(reader);
    BOOST_TEST(got.size() == data.size());
    BOOST_TEST((got == data));
}

COROLLA_BACKEND_TEST(data_and_hangup_together_read_all_data_before_eof) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto [x, y] = net::socket::pair();
    const std::string payload(100000, 'q');
    std::size_t off = 0;
    while (off < payload.size()) {  // as much as fits, then the writer goes away
        const ssize_t n = ::send(y.fileno(), payload.data() + off, payload.size() - off, MSG_DONTWAIT);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
    }
    y.close();
    auto reader = test::spawn(loop, [&]() -> TASK(std::size_t) {
        std::size_t total = 0;
        for (;;) {
            std::string part = AWAIT(net::sock_recv(x, 8192));
            if (part.empty()) break;
            total += part.size();
        }
        RETURN total;
    });
    BOOST_TEST(loop.run_until_complete(reader) == off);
}

COROLLA_BACKEND_TEST(connect_timeout_through_wait_for_leaves_nothing_behind) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    // A listener that never accepts, with its queue full: further SYNs are dropped and a
    // connect hangs until it times out.
    net::socket l(AF_INET, SOCK_STREAM);
    l.bind(net::address::ipv4("127.0.0.1", 0));
    l.listen(0);
    const net::address at = l.local_address();
    std::vector<net::socket> fillers;
    bool hung = false;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        for (int i = 0; i < 8 && !hung; ++i) {
            net::socket s(AF_INET, SOCK_STREAM);
            try {
                AWAIT(corolla::wait_for(net::sock_connect(s, at), 100ms));
                fillers.push_back(std::move(s));
            } catch (const corolla::timeout_error&) {
                hung = true;
            }
        }
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(hung);
    BOOST_TEST(loop.stats().io_requests == 0u);
}

COROLLA_BACKEND_TEST(ten_thousand_connect_close_cycles_leak_no_fd) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    const int before = test::count_open_fds();
    const std::string path = unix_path("churn");
    ::unlink(path.c_str());
    net::socket listener(AF_UNIX, SOCK_STREAM);
    listener.bind(net::address::unix_path(path));
    listener.listen(128);
    int accepted = 0;
    auto server = test::spawn(loop, [&]() -> TASK(void) {
        for (;;) {
            net::accepted a = AWAIT(net::sock_accept(listener));
            ++accepted;
        }
        RETURN;
    });
    auto client = test::spawn(loop, [&]() -> TASK(void) {
        for (int i = 0; i < 10000; ++i) {
            net::socket s(AF_UNIX, SOCK_STREAM);
            AWAIT(net::sock_connect(s, net::address::unix_path(path)));
            if (i % 2) {
                try {  // the server may have accepted and closed already
                    AWAIT(net::sock_sendall(s, std::string_view("bye")));
                } catch (const net::connection_error&) {
                }
            }
        }
        RETURN;
    });
    loop.run_until_complete(client);
    while (accepted < 10000)
        loop.run_once();
    server.cancel();
    BOOST_CHECK_THROW(loop.run_until_complete(server), corolla::cancelled_error);
    listener.close();
    ::unlink(path.c_str());
    BOOST_TEST(test::count_open_fds() == before);
}

COROLLA_BACKEND_TEST(bad_addresses_and_misuse_get_clear_errors) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    BOOST_CHECK_THROW(net::address::ip("999.1.1.1", 80), net::address_error);
    BOOST_CHECK_THROW(net::address::ip("example.com", 80), net::address_error);
    BOOST_CHECK_THROW(net::address::ipv4("127.0.0.1", 70000), net::address_error);
    BOOST_CHECK_THROW(net::address::ipv4("127.0.0.1", -1), net::address_error);
    BOOST_CHECK_THROW(net::address::ipv6("::g", 1), net::address_error);
    BOOST_CHECK_THROW(net::address::unix_path(std::string(200, 'p')), net::address_error);
    BOOST_CHECK_THROW(net::address::unix_path(""), net::address_error);
    BOOST_TEST(net::address::ip("::1", 8080).to_string() == "[::1]:8080");
    BOOST_TEST(net::address::ip("10.1.2.3", 1).to_string() == "10.1.2.3:1");
    BOOST_CHECK_THROW(net::socket::adopt(-1), corolla::bad_fd_error);
    net::socket s(AF_INET, SOCK_STREAM);
    BOOST_CHECK_THROW(s.bind(net::address::ipv4("203.0.113.1", 1)), net::os_error);  // not a local address
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        bool no_addr = false;
        try {
            AWAIT(net::sock_connect(s, net::address()));
        } catch (const net::address_error&) {
            no_addr = true;
        }
        BOOST_TEST(no_addr);
        RETURN;
    });
    loop.run_until_complete(t);
    // A socket serves the loop it was first used on.
    corolla::event_loop other;
    BOOST_CHECK_THROW(corolla::as_future(other, net::sock_recv(s, 1)), corolla::invalid_state_error);
}

COROLLA_BACKEND_TEST(selectors_style_callbacks_work_beside_the_operations) {
    // The seeds' echo server: add_reader on a listening socket, accept in the callback,
    // then add_reader on each connection; a client on the operations talks to it.
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    net::address at;
    net::socket listener = tcp_listener(at);
    std::vector<net::socket> conns;
    loop.add_reader(listener.fileno(), [&] {
        const int fd = ::accept4(listener.fileno(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        conns.push_back(net::socket::adopt(fd));
        loop.add_reader(fd, [&loop, fd] {
            char buf[512];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                ::send(fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
            } else {
                loop.remove_reader(fd);
            }
        });
    });
    auto client = test::spawn(loop, [&]() -> TASK(std::string) {
        net::socket s(AF_INET, SOCK_STREAM);
        AWAIT(net::sock_connect(s, at));
        std::string got;
        const std::string words[] = {"one ", "two ", "three"};
        for (const std::string& word : words) {
            AWAIT(net::sock_sendall(s, std::string_view(word)));
            std::size_t want = got.size() + word.size();
            while (got.size() < want) {
                std::string part = AWAIT(net::sock_recv(s, 64));
                BOOST_REQUIRE(!part.empty());
                got += part;
            }
        }
        RETURN got;
    });
    BOOST_TEST(loop.run_until_complete(client) == "one two three");
    for (int i = 0; i < 20 && loop.stats().readers > 1; ++i)
        loop.run_once(true);  // the connection's reader sees EOF and removes itself
    BOOST_TEST(loop.remove_reader(listener.fileno()));
    BOOST_TEST(loop.stats().readers == 0u);
}

COROLLA_BACKEND_TEST(cancel_in_the_iteration_the_read_was_started_loses_nothing) {
    // On io_uring the receive is still in the submission queue (not yet in the kernel)
    // when the cancellation comes; elsewhere it is just queued with the loop.
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto [x, y] = net::socket::pair();
    corolla::task<std::string> reader;
    reader = test::spawn(loop, [&]() -> TASK(std::string) {
        std::string got = AWAIT(net::sock_recv(x, 100));
        RETURN got;
    });
    loop.call_soon([&] { reader.cancel(); });  // runs right after the reader's first step
    BOOST_CHECK_THROW(loop.run_until_complete(reader), corolla::cancelled_error);
    BOOST_TEST(loop.stats().io_requests == 0u);
    ::send(y.fileno(), "kept", 4, 0);
    auto again = test::spawn(loop, [&]() -> TASK(std::string) {
        std::string got = AWAIT(net::sock_recv(x, 100));
        RETURN got;
    });
    BOOST_TEST(loop.run_until_complete(again) == "kept");
}

COROLLA_BACKEND_TEST(cancelled_accepts_leave_no_fd_and_lose_no_connection) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    net::address at;
    net::socket listener = tcp_listener(at);
    const int before = test::count_open_fds();
    for (int round = 0; round < 20; ++round) {
        auto acceptor = test::spawn(loop, [&]() -> TASK(void) {
            net::accepted a = AWAIT(net::sock_accept(listener));
            RETURN;
        });
        run_briefly(loop);
        acceptor.cancel();
        BOOST_CHECK_THROW(loop.run_until_complete(acceptor), corolla::cancelled_error);
    }
    BOOST_TEST(loop.stats().io_requests == 0u);
    BOOST_TEST(test::count_open_fds() == before);
    // A connection made now is still there for the next accept.
    net::socket c(AF_INET, SOCK_STREAM);
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        AWAIT(net::sock_connect(c, at));
        net::accepted a = AWAIT(net::sock_accept(listener));
        BOOST_TEST(a.peer == c.local_address());
        RETURN;
    });
    loop.run_until_complete(t);
}

// asyncio returns b'' at once for a zero-length receive; on Linux recv(2) of 0 bytes on a
// socket with nothing queued says EAGAIN, which must not park the task (nor, on io_uring's
// native path, leave a request in the kernel).
COROLLA_BACKEND_TEST(zero_length_receive_completes_at_once) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    net::address to;
    net::socket listener = tcp_listener(to);
    net::socket client(AF_INET, SOCK_STREAM);
    auto t = test::spawn(loop, [&]() -> TASK(std::string) {
        AWAIT(net::sock_connect(client, to));
        net::accepted a = AWAIT(net::sock_accept(listener));
        std::vector<std::byte> none;
        const std::size_t n = AWAIT(net::sock_recv_into(a.sock, std::span<std::byte>(none)));
        BOOST_TEST(n == 0u);
        std::string empty = AWAIT(net::sock_recv(a.sock, 0));
        BOOST_TEST(empty.empty());
        // Nothing was consumed: the bytes sent next are all there.
        AWAIT(net::sock_sendall(client, std::string_view("hello")));
        std::string got = AWAIT(net::sock_recv(a.sock, 0));
        BOOST_TEST(got.empty());
        while (got.size() < 5)
            got += AWAIT(net::sock_recv(a.sock, 5 - got.size()));
        RETURN got;
    });
    // Completing without the loop ever blocking: bounded iterations, no timer involved.
    BOOST_TEST(loop.run_until_complete(corolla::wait_for(t, 5s)) == "hello");
    BOOST_TEST(loop.stats().io_requests == 0u);
}
