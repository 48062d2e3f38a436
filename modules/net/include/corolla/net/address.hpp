// Socket addresses: IPv4, IPv6 and Unix paths (asyncio passes tuples and strings; corolla
// has one value type). Numeric only; names go through resolve() (corolla/net/resolve.hpp),
// which runs getaddrinfo off the loop thread.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace corolla::net {

class address {
public:
    /// An empty address (family() == AF_UNSPEC).
    address() noexcept = default;

    /// A numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "fe80::1%eth0"); "" means the
    /// IPv4 wildcard. Throws address_error for a malformed host or a port outside 0..65535.
    static address ip(std::string_view host, int port);
    static address ipv4(std::string_view host, int port);
    static address ipv6(std::string_view host, int port);
    /// A Unix-domain path; a leading '@' names an abstract socket (Linux). Throws
    /// address_error for an empty path or one longer than sun_path holds.
    static address unix_path(std::string_view path);
    /// Copies a native address (as accept or recvfrom fill it in).
    static address from_native(const sockaddr* sa, socklen_t len);

    int family() const noexcept { return storage_.ss_family; }
    bool empty() const noexcept { return family() == AF_UNSPEC; }
    /// The numeric host ("" for a Unix address).
    std::string host() const;
    /// The port (0 for a Unix address).
    int port() const noexcept;
    /// The path of a Unix address ('@' first for an abstract one); "" otherwise.
    std::string path() const;
    /// "127.0.0.1:80", "[::1]:80", "/run/x.sock", "@name", or "<unspecified>".
    std::string to_string() const;

    const sockaddr* native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* native() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t size() const noexcept { return size_; }
    static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }
    /// After a call filled native() in: records its length.
    void set_size(socklen_t n) noexcept { size_ = n; }

    friend bool operator==(const address& a, const address& b) noexcept;
    /// Writes to_string().
    friend std::ostream& operator<<(std::ostream& os, const address& a);

private:
    sockaddr_storage storage_{};
    socklen_t size_ = 0;
};

}  // namespace corolla::net
