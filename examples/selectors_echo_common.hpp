// The style-free half of the selectors echo examples (selectors_echo.cpp,
// selectors_echo_fiber.cpp): the seed's server — a listening socket registered for
// reading, accept() in its callback, each connection registered with a read callback that
// echoes and unregisters and closes at EOF — and the check of what three clients got
// back. Callbacks on readiness have no style; the style files give the clients.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/net/net.hpp>

namespace selectors_echo {

namespace net = corolla::net;

inline int accepted = 0, closed = 0;
inline std::map<int, std::string> echoed;  // per connection number, what the server sent back

inline void read(corolla::event_loop& loop, int fd, int number) {
    char data[1000];
    const ssize_t n = ::recv(fd, data, sizeof data, 0);  // should be ready
    if (n > 0) {
        std::printf("echoing %zd bytes to connection %d\n", n, number);
        echoed[number].append(data, static_cast<std::size_t>(n));
        (void)::send(fd, data, static_cast<std::size_t>(n), MSG_NOSIGNAL);  // hope it won't block
    } else {
        std::printf("closing connection %d\n", number);
        ++closed;
        loop.remove_reader(fd);
        ::close(fd);
    }
}

inline void accept(corolla::event_loop& loop, net::socket& sock) {
    net::address addr;
    socklen_t len = net::address::capacity();
    const int conn = ::accept4(sock.fileno(), addr.native(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);  // should be ready
    if (conn < 0) return;
    addr.set_size(len);
    const int number = ++accepted;
    std::printf("accepted connection %d from %s\n", number, addr.host().c_str());
    loop.add_reader(conn, [&loop, conn, number] { read(loop, conn, number); });
}

/// Serves three clients, each started by `start_client(loop, server, messages)` as a task
/// of the style that returns what it got back, and checks every byte came back.
template <class StartClient>
int run(StartClient start_client) {
    corolla::event_loop loop;
    net::socket sock(AF_INET, SOCK_STREAM);
    sock.set_reuse_address(true);
    sock.bind(net::address::ipv4("127.0.0.1", 0));
    sock.listen(100);  // corolla sockets are non-blocking already
    const net::address at = sock.local_address();
    loop.add_reader(sock.fileno(), [&] { accept(loop, sock); });

    const std::vector<std::vector<std::string>> conversations{
        {"hello ", "world"}, {"spam ", "eggs ", "ham"}, {"one message only"}};
    std::vector<corolla::future<std::string>> clients;
    for (const auto& c : conversations)
        clients.push_back(start_client(loop, at, c));
    loop.run_until_complete(corolla::wait(loop, clients));
    for (int i = 0; i < 100 && closed < 3; ++i)
        loop.run_once(true);  // the server's read callbacks see each client's EOF
    loop.remove_reader(sock.fileno());
    sock.close();
    loop.close();

    bool ok = accepted == 3 && closed == 3;
    std::vector<std::string> sent, back, served;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        std::string all;
        for (const auto& m : conversations[i])
            all += m;
        sent.push_back(all);
        back.push_back(clients[i].result());
        std::printf("client %zu got back \"%s\"\n", i + 1, clients[i].result().c_str());
    }
    for (const auto& [number, data] : echoed)
        served.push_back(data);
    std::sort(sent.begin(), sent.end());
    std::sort(served.begin(), served.end());
    ok = ok && back == std::vector<std::string>{"hello world", "spam eggs ham", "one message only"} && served == sent;
    std::printf("%s\n", ok ? "every byte echoed, every connection closed" : "UNEXPECTED BEHAVIOUR");
    return ok ? 0 : 1;
}

}  // namespace selectors_echo
