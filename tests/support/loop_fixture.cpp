#include "support/loop_fixture.hpp"

#include <set>
#include <string>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

namespace corolla::test {

int count_open_fds() {
    if (DIR* d = ::opendir("/proc/self/fd")) {
        int n = 0;
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
        return n - 1;  // the directory stream's own fd
    }
    int n = 0;
    for (int fd = 0; fd < 4096; ++fd)
        if (::fcntl(fd, F_GETFD) != -1) ++n;
    return n;
}

namespace {

/// Opens and closes one loop on `backend` the first time the process asks for it. What a
/// backend sets up once per process and keeps (libkqueue's monitor thread, its epoll fd
/// and eventfd) is then in place before the fd count, so the count compares what one
/// loop took with what it gave back.
int settled_fd_count(const std::string& backend) {
    static std::set<std::string> opened;
    if (opened.insert(backend).second) {
        loop_options opts;
        opts.backend = backend;
        corolla::event_loop once(std::move(opts));
    }
    return count_open_fds();
}

}  // namespace

loop_fixture::loop_fixture(const std::string& backend, clock_kind clock) : fds_before_(settled_fd_count(backend)) {
    loop_options opts;
    opts.backend = backend;
    if (clock == clock_kind::virtual_time) {
        vclock_ = std::make_shared<corolla::virtual_clock>();
        opts.clock = vclock_;
    }
    loop_.emplace(std::move(opts));
    BOOST_TEST_REQUIRE(loop_->backend_name() == backend);
    backend_ = backend;
}

loop_fixture::~loop_fixture() {
    if (!loop_->is_closed()) {
        const loop_stats s = loop_->stats();
        BOOST_CHECK_MESSAGE(s.ready == 0, "teardown: " << s.ready << " callbacks still pending");
        BOOST_CHECK_MESSAGE(s.timers == 0, "teardown: " << s.timers << " timers still scheduled");
        BOOST_CHECK_MESSAGE(s.readers == 0 && s.writers == 0,
                            "teardown: " << s.readers << " readers / " << s.writers << " writers still registered");
        BOOST_CHECK_MESSAGE(s.io_requests == 0, "teardown: " << s.io_requests << " I/O requests still waiting");
        BOOST_CHECK_MESSAGE(loop_->selector().size() == 0,
                            "teardown: " << loop_->selector().size() << " fds still registered with the selector");
        BOOST_CHECK_MESSAGE(s.signal_handlers == 0, "teardown: " << s.signal_handlers << " signal handlers left");
        BOOST_CHECK_MESSAGE(s.threadsafe_pending == 0, "teardown: threadsafe callbacks pending");
    }
    loop_.reset();
    const int after = count_open_fds();
    BOOST_CHECK_MESSAGE(after == fds_before_,
                        "teardown: fd leak: " << fds_before_ << " fds before, " << after << " after");
}

void loop_fixture::drain(int max_iterations) {
    for (int i = 0; i < max_iterations; ++i) {
        const loop_stats s = loop_->stats();
        if (s.ready == 0 && s.timers == 0 && s.threadsafe_pending == 0) return;
        loop_->run_once(false);
    }
}

fd_pair fd_pair::pipe() {
    int p[2];
    BOOST_TEST_REQUIRE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    return fd_pair{p[0], p[1]};
}

fd_pair fd_pair::socketpair() {
    int p[2];
    BOOST_TEST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p) == 0);
    return fd_pair{p[0], p[1]};
}

void fd_pair::close_a() {
    if (a >= 0) ::close(a);
    a = -1;
}
void fd_pair::close_b() {
    if (b >= 0) ::close(b);
    b = -1;
}
fd_pair::~fd_pair() {
    close_a();
    close_b();
}

}  // namespace corolla::test
