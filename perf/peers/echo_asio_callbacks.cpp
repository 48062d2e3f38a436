// echo_asio_callbacks: the Boost.Asio peer of the TCP echo comparison (tools/compare,
// scenario tcp_echo) in completion-handler style, Asio's fastest form: one session object
// per connection (shared_ptr kept alive by its pending handler) alternating async_read_some
// and async_write on a fixed buffer, an io_context told it runs on one thread.
//
//   echo_asio_callbacks --port 0      prints "listening on <port>" (127.0.0.1), runs until
//                                     SIGTERM or SIGINT, exits 0
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include <sys/resource.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>

#include "echo_peer_support.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

    void read() {
        socket_.async_read_some(asio::buffer(data_),
                                [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                    if (!ec) self->write(n);
                                });
    }

private:
    void write(std::size_t n) {
        asio::async_write(socket_, asio::buffer(data_, n),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (!ec) self->read();
                          });
    }

    tcp::socket socket_;
    std::array<char, 16 * 1024> data_;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket socket) {
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<session>(std::move(socket))->read();
        }
        accept(acceptor);
    });
}

}  // namespace

int main(int argc, char** argv) {
    const int port = corolla::peers::parse_port(argc, argv, "echo_asio_callbacks");
    corolla::peers::raise_fd_limit();  // a thousand connections
    try {
        asio::io_context ctx(1);
        tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)));
        asio::signal_set signals(ctx, SIGTERM, SIGINT);
        signals.async_wait([&ctx](boost::system::error_code, int) { ctx.stop(); });
        accept(acceptor);
        std::printf("listening on %d\n", acceptor.local_endpoint().port());
        std::fflush(stdout);
        ctx.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "echo_asio_callbacks: %s\n", e.what());
        return 1;
    }
    return 0;
}
