#include <corolla/net/resolve.hpp>

#include <netdb.h>

#include <corolla/core/to_thread.hpp>
#include <corolla/net/errors.hpp>

namespace corolla::net {

std::vector<address> resolve_numeric(const std::string& host, int port, int family) {
    std::vector<address> out;
    if (port < 0 || port > 65535) throw address_error("port " + std::to_string(port) + " is outside 0..65535");
    if (host == "localhost") {
        if (family != AF_INET6) out.push_back(address::ipv4("127.0.0.1", port));
        if (family != AF_INET) out.push_back(address::ipv6("::1", port));
        return out;
    }
    if (host.empty()) {
        out.push_back(family == AF_INET6 ? address::ipv6("", port) : address::ipv4("", port));
        return out;
    }
    try {
        address a = address::ip(host, port);
        if (family == AF_UNSPEC || family == a.family()) out.push_back(a);
    } catch (const address_error&) {  // not numeric: a name
    }
    return out;
}

namespace {

std::vector<address> lookup(const std::string& host, int port, int family, int type) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) throw address_error("cannot resolve '" + host + "': " + ::gai_strerror(rc), rc);
    std::vector<address> out;
    for (addrinfo* p = res; p; p = p->ai_next)
        out.push_back(address::from_native(p->ai_addr, p->ai_addrlen));
    ::freeaddrinfo(res);
    if (out.empty()) throw address_error("cannot resolve '" + host + "': no addresses", EAI_NONAME);
    return out;
}

}  // namespace

future<std::vector<address>> resolve(event_loop& loop, std::string host, int port, int family, int type) {
    std::vector<address> now = resolve_numeric(host, port, family);
    if (!now.empty()) {
        future<std::vector<address>> f(loop);
        f.set_result(std::move(now));
        return f;
    }
    return run_in_executor(loop,
                           [host = std::move(host), port, family, type] { return lookup(host, port, family, type); });
}

}  // namespace corolla::net
