// What every echo server in perf/peers shares: the command line (`--port N`, 0 picks a
// free port) and the descriptor limit a thousand connections need.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <sys/resource.h>

namespace corolla::peers {

/// The port of `--port N`; prints the usage naming `program` and exits 2 otherwise.
inline int parse_port(int argc, char** argv, const char* program) {
    if (argc == 3 && std::string_view(argv[1]) == "--port") {
        char* end = nullptr;
        const long port = std::strtol(argv[2], &end, 10);
        if (*end == '\0' && port >= 0 && port <= 65535) return static_cast<int>(port);
    }
    std::fprintf(stderr, "usage: %s --port N   (0 picks a free port)\n", program);
    std::exit(2);
}

/// Raises the soft RLIMIT_NOFILE to the hard limit (the usual soft 1024 is too few).
inline void raise_fd_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
}

}  // namespace corolla::peers
