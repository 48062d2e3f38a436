// The seeds' selectors echo server with fiber clients (see selectors_echo.cpp): the server
// is the seed's, callbacks on readiness (add_reader); the three clients are plain
// functions on fibers that call the socket operations through corolla::await, reading
// like the blocking client one would write with threads.
//
// Python:   sock.bind(('localhost', 1234)); sock.listen(100); sock.setblocking(False)
//           sel.register(sock, selectors.EVENT_READ, accept)
//           def accept(sock, mask): conn, addr = sock.accept(); ...
//                                   sel.register(conn, selectors.EVENT_READ, read)
//           def read(conn, mask): data = conn.recv(1000)
//                                 if data: conn.send(data) else: sel.unregister(conn); conn.close()
// Here the server listens on 127.0.0.1 with a port the system picks.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <corolla/core/wait.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/net/net.hpp>

namespace net = corolla::net;

namespace {
int accepted = 0, closed = 0;
std::map<int, std::string> echoed;  // per connection number, what the server sent back

void read(corolla::event_loop& loop, int fd, int number) {
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

void accept(corolla::event_loop& loop, net::socket& sock) {
    net::address addr;
    socklen_t len = net::address::capacity();
    const int conn = ::accept4(sock.fileno(), addr.native(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);  // should be ready
    if (conn < 0) return;
    addr.set_size(len);
    const int number = ++accepted;
    std::printf("accepted connection %d from %s\n", number, addr.host().c_str());
    loop.add_reader(conn, [&loop, conn, number] { read(loop, conn, number); });
}

std::string client(net::address server, std::vector<std::string> messages) {
    net::socket s(AF_INET, SOCK_STREAM);
    corolla::await(net::sock_connect(s, server));
    std::string got;
    for (const std::string& m : messages) {
        corolla::await(net::sock_sendall(s, std::string_view(m)));
        const std::size_t want = got.size() + m.size();
        while (got.size() < want) {
            std::string part = corolla::await(net::sock_recv(s, 1000));
            if (part.empty()) return got;  // the server went away
            got += part;
        }
    }
    return got;  // the socket closes here: the server sees EOF
}
}  // namespace

int main() {
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
        clients.push_back(corolla::spawn_fiber(loop, client, at, c));
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
