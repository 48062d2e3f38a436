// corolla::net on its own (with a backend): a receive on a socket pair that waits until
// the other end sends, both through as_future.
#include <cstdio>
#include <string>

#include <corolla/core/operation.hpp>
#include <corolla/net/sock_ops.hpp>
#include <corolla/net/socket.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    auto [a, b] = corolla::net::socket::pair();
    auto received = corolla::as_future(loop, corolla::net::sock_recv(b, 16));  // waits: nothing sent yet
    auto sent = corolla::as_future(loop, corolla::net::sock_sendall(a, std::string("ping")));
    const std::string got = loop.run_until_complete(received);
    loop.run_until_complete(sent);
    std::printf("net ran on %s: %s\n", std::string(loop.backend_name()).c_str(), got.c_str());
    return got == "ping" ? 0 : 1;
}
