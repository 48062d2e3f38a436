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
// Here the server listens on 127.0.0.1 with a port the system picks. The server and the
// check are selectors_echo_common.hpp's; this file gives the clients.
#include <string>
#include <vector>

#include <corolla/fiber/fiber.hpp>
#include <corolla/net/net.hpp>

#include "selectors_echo_common.hpp"

namespace net = corolla::net;

namespace {
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
    return selectors_echo::run(
        [](corolla::event_loop& loop, const net::address& at, const std::vector<std::string>& c) {
            return corolla::spawn_fiber(loop, client, at, c);
        });
}
