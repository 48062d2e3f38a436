// corolla::fs on its own (with a backend): a file written, read back and closed, through
// as_future.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include <corolla/core/operation.hpp>
#include <corolla/fs/file.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    char path[] = "/tmp/corolla-fs-component-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) return 2;
    ::close(fd);
    namespace fs = corolla::fs;
    fs::file w = loop.run_until_complete(corolla::as_future(loop, fs::open_file(loop, path, "w")));
    loop.run_until_complete(corolla::as_future(loop, w.write("pong")));
    loop.run_until_complete(corolla::as_future(loop, w.close()));
    fs::file r = loop.run_until_complete(corolla::as_future(loop, fs::open_file(loop, path, "r")));
    const std::string got = loop.run_until_complete(corolla::as_future(loop, r.read(16)));
    loop.run_until_complete(corolla::as_future(loop, r.close()));
    ::unlink(path);
    std::printf("fs ran on %s: %s\n", std::string(loop.backend_name()).c_str(), got.c_str());
    return got == "pong" ? 0 : 1;
}
