#include <corolla/net/address.hpp>

#include <cstring>
#include <ostream>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <corolla/net/errors.hpp>

namespace corolla::net {

namespace {

std::uint16_t checked_port(int port) {
    if (port < 0 || port > 65535) throw address_error("port " + std::to_string(port) + " is outside 0..65535");
    return static_cast<std::uint16_t>(port);
}

bool parse_v4(std::string_view host, in_addr& out) {
    if (host.empty()) {
        out.s_addr = htonl(INADDR_ANY);
        return true;
    }
    const std::string h(host);
    return ::inet_pton(AF_INET, h.c_str(), &out) == 1;
}

bool parse_v6(std::string_view host, sockaddr_in6& out) {
    std::string h(host);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    const auto pct = h.find('%');
    if (pct != std::string::npos) {
        const std::string scope = h.substr(pct + 1);
        h.resize(pct);
        unsigned idx = ::if_nametoindex(scope.c_str());
        if (idx == 0) {
            char* end = nullptr;
            const unsigned long n = std::strtoul(scope.c_str(), &end, 10);
            if (scope.empty() || *end != '\0') return false;
            idx = static_cast<unsigned>(n);
        }
        out.sin6_scope_id = idx;
    }
    return ::inet_pton(AF_INET6, h.c_str(), &out.sin6_addr) == 1;
}

}  // namespace

address address::ipv4(std::string_view host, int port) {
    address a;
    auto& sin = reinterpret_cast<sockaddr_in&>(a.storage_);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(checked_port(port));
    if (!parse_v4(host, sin.sin_addr)) throw address_error("'" + std::string(host) + "' is not an IPv4 address");
    a.size_ = sizeof(sockaddr_in);
    return a;
}

address address::ipv6(std::string_view host, int port) {
    address a;
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(a.storage_);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(checked_port(port));
    if (host.empty()) {
        sin6.sin6_addr = in6addr_any;
    } else if (!parse_v6(host, sin6)) {
        throw address_error("'" + std::string(host) + "' is not an IPv6 address");
    }
    a.size_ = sizeof(sockaddr_in6);
    return a;
}

address address::ip(std::string_view host, int port) {
    checked_port(port);
    if (host.find(':') != std::string_view::npos) return ipv6(host, port);
    in_addr probe{};
    if (!parse_v4(host, probe))
        throw address_error("'" + std::string(host) + "' is not a numeric IP address (use resolve() for names)");
    return ipv4(host, port);
}

address address::unix_path(std::string_view path) {
    address a;
    auto& sun = reinterpret_cast<sockaddr_un&>(a.storage_);
    if (path.empty()) throw address_error("empty Unix socket path");
    if (path.size() >= sizeof(sun.sun_path))
        throw address_error("Unix socket path too long (" + std::to_string(path.size()) + " bytes, at most " +
                            std::to_string(sizeof(sun.sun_path) - 1) + ")");
    if (path.find('\0') != std::string_view::npos) throw address_error("Unix socket path contains a NUL byte");
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), path.size());
    const bool abstract = path.front() == '@';
    if (abstract) sun.sun_path[0] = '\0';
    a.size_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
    return a;
}

address address::from_native(const sockaddr* sa, socklen_t len) {
    address a;
    if (!sa || len == 0) return a;
    if (len > capacity()) len = capacity();
    std::memcpy(&a.storage_, sa, len);
    a.size_ = len;
    return a;
}

std::string address::host() const {
    char buf[INET6_ADDRSTRLEN + 16] = {};
    if (family() == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(storage_).sin_addr, buf, sizeof buf);
        return buf;
    }
    if (family() == AF_INET6) {
        const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(storage_);
        ::inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof buf);
        std::string h = buf;
        if (sin6.sin6_scope_id != 0) {
            h += '%';
            h += std::to_string(sin6.sin6_scope_id);
        }
        return h;
    }
    return {};
}

int address::port() const noexcept {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(storage_).sin_port);
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(storage_).sin6_port);
    return 0;
}

std::string address::path() const {
    if (family() != AF_UNIX) return {};
    const auto& sun = reinterpret_cast<const sockaddr_un&>(storage_);
    const std::size_t base = offsetof(sockaddr_un, sun_path);
    if (size_ <= base) return {};  // unnamed (an unbound client)
    std::size_t n = size_ - base;
    if (sun.sun_path[0] == '\0') {  // abstract: shown with a leading '@'
        std::string out(1, '@');    // built piecewise: '"@" + string' trips GCC 12's -Wrestrict
        out.append(sun.sun_path + 1, n - 1);
        return out;
    }
    return std::string(sun.sun_path, ::strnlen(sun.sun_path, n));
}

std::string address::to_string() const {
    switch (family()) {
    case AF_INET: return host() + ":" + std::to_string(port());
    case AF_INET6: {
        std::string out(1, '[');  // built piecewise: '"[" + string' trips GCC 12's -Wrestrict
        out += host();
        out += "]:";
        out += std::to_string(port());
        return out;
    }
    case AF_UNIX: {
        std::string p = path();
        return p.empty() ? "<unnamed unix>" : p;
    }
    default: return "<unspecified>";
    }
}

bool operator==(const address& a, const address& b) noexcept {
    return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
}

}  // namespace corolla::net

namespace corolla::net {
std::ostream& operator<<(std::ostream& os, const address& a) { return os << a.to_string(); }
}  // namespace corolla::net
