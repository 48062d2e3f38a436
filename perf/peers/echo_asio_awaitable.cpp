// echo_asio_awaitable: the Boost.Asio C++20-coroutine peer of the TCP echo comparison
// (tools/compare, scenario tcp_echo): a listener coroutine co_spawns one echo coroutine
// per connection, each looping co_await async_read_some / co_await async_write with
// use_awaitable. Errors come back through as_tuple rather than as exceptions, so a client
// closing its connection costs no throw. The io_context is told it runs on one thread.
//
//   echo_asio_awaitable --port 0      prints "listening on <port>" (127.0.0.1), runs until
//                                     SIGTERM or SIGINT, exits 0
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <tuple>

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "echo_peer_support.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> echo(tcp::socket socket) {
    std::array<char, 16 * 1024> data;
    for (;;) {
        auto [rerr, n] = co_await socket.async_read_some(asio::buffer(data), use_tuple);
        if (rerr) co_return;
        auto [werr, written] = co_await asio::async_write(socket, asio::buffer(data, n), use_tuple);
        if (werr) co_return;
    }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) continue;
        socket.set_option(tcp::no_delay(true), ec);
        asio::co_spawn(acceptor.get_executor(), echo(std::move(socket)), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int port = corolla::peers::parse_port(argc, argv, "echo_asio_awaitable");
    corolla::peers::raise_fd_limit();  // a thousand connections
    try {
        asio::io_context ctx(1);
        tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)));
        asio::signal_set signals(ctx, SIGTERM, SIGINT);
        signals.async_wait([&ctx](boost::system::error_code, int) { ctx.stop(); });
        asio::co_spawn(ctx, listen(acceptor), asio::detached);
        std::printf("listening on %d\n", acceptor.local_endpoint().port());
        std::fflush(stdout);
        ctx.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "echo_asio_awaitable: %s\n", e.what());
        return 1;
    }
    return 0;
}
