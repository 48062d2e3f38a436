// Name resolution off the loop thread (asyncio's loop.getaddrinfo): getaddrinfo runs on
// the loop's default executor, so a slow DNS answer never blocks the loop. Cancelling the
// future abandons the lookup (its result is dropped when it arrives).
#pragma once

#include <string>
#include <vector>

#include <sys/socket.h>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/net/address.hpp>

namespace corolla::net {

/// The addresses of host:port, in getaddrinfo's order. A numeric host or "localhost"
/// needs no lookup and completes at once; "" means the wildcard (for servers). Throws
/// (through the future) address_error naming the host when it does not resolve.
future<std::vector<address>> resolve(event_loop& loop, std::string host, int port, int family = AF_UNSPEC,
                                     int type = SOCK_STREAM);

/// Without the thread hop: the addresses when `host` is numeric, "localhost" or "", else
/// an empty vector. Throws address_error for a bad port.
std::vector<address> resolve_numeric(const std::string& host, int port, int family = AF_UNSPEC);

}  // namespace corolla::net
