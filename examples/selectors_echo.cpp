// The seeds' selectors echo server: a listening socket registered for reading, accept()
// in its callback, each connection registered with a read callback that echoes what it
// receives and unregisters and closes at EOF — the event loop is the seed's
// `while True: events = sel.select(); callback(...)`. Three clients, coroutine tasks on
// the same loop using the socket operations (sock_connect / sock_sendall / sock_recv),
// talk to it at once.
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

#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/net/net.hpp>

#include "selectors_echo_common.hpp"

namespace net = corolla::net;

namespace {
corolla::coro<std::string> client(net::address server, std::vector<std::string> messages) {
    net::socket s(AF_INET, SOCK_STREAM);
    co_await net::sock_connect(s, server);
    std::string got;
    for (const std::string& m : messages) {
        co_await net::sock_sendall(s, std::string_view(m));
        const std::size_t want = got.size() + m.size();
        while (got.size() < want) {
            std::string part = co_await net::sock_recv(s, 1000);
            if (part.empty()) co_return got;  // the server went away
            got += part;
        }
    }
    co_return got;  // the socket closes here: the server sees EOF
}
}  // namespace

int main() {
    return selectors_echo::run(
        [](corolla::event_loop& loop, const net::address& at, const std::vector<std::string>& c) {
            return corolla::create_task(loop, client(at, c));
        });
}
