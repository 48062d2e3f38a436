#include <corolla/net/errors.hpp>

#include <cerrno>
#include <cstring>

namespace corolla::net {

namespace {
std::string describe(int code, const std::string& what) {
    return what + ": " + std::strerror(code) + " (errno " + std::to_string(code) + ")";
}
}  // namespace

os_error::os_error(int code, const std::string& what) : error(describe(code, what)), code_(code) {}

incomplete_read_error::incomplete_read_error(std::string partial, std::size_t expected)
    : error(std::to_string(partial.size()) + " bytes read on a total of " +
            (expected ? std::to_string(expected) : std::string("undefined")) + " expected bytes"),
      partial_(std::move(partial)),
      expected_(expected) {}

void throw_os_error(int code, const std::string& what) {
    switch (code) {
    case ECONNRESET: throw connection_reset_error(code, what);
    case ECONNREFUSED: throw connection_refused_error(code, what);
    case ECONNABORTED: throw connection_aborted_error(code, what);
    case EPIPE:
    case ESHUTDOWN: throw broken_pipe_error(code, what);
    default: throw os_error(code, what);
    }
}

}  // namespace corolla::net
