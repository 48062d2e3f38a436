// The selector conformance suite: the contract written above corolla::selector, checked
// for every compiled backend (and any backend registered by name) in one binary.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/selector.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using namespace std::chrono_literals;
using corolla::test::fd_pair;

namespace {

struct events {
    std::vector<corolla::ready_event> list;
    const corolla::ready_event* find(int fd) const {
        for (const auto& e : list)
            if (e.fd == fd) return &e;
        return nullptr;
    }
};

events poll_now(corolla::selector& s, corolla::duration timeout = 0ns, std::size_t room = 64) {
    events ev;
    ev.list.resize(room);
    ev.list.resize(s.select(timeout, ev.list));
    return ev;
}

void write_str(int fd, const char* s) {
    BOOST_TEST_REQUIRE(::write(fd, s, std::strlen(s)) == static_cast<ssize_t>(std::strlen(s)));
}

/// A loopback TCP listener on a free port; `at` is its address.
int tcp_listener(sockaddr_in& at) {
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(l >= 0);
    at = sockaddr_in{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof at;
    BOOST_TEST_REQUIRE(::bind(l, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
    BOOST_TEST_REQUIRE(::listen(l, 4) == 0);
    BOOST_TEST_REQUIRE(::getsockname(l, reinterpret_cast<sockaddr*>(&at), &len) == 0);
    return l;
}

/// A TCP connection over loopback: a is the client's end, b the accepted one.
fd_pair tcp_connection() {
    sockaddr_in at;
    const int l = tcp_listener(at);
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(::connect(c, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
    const int s = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(l);
    BOOST_TEST_REQUIRE(s >= 0);
    return fd_pair{c, s};
}

int so_error(int fd) {
    int e = 0;
    socklen_t len = sizeof e;
    BOOST_TEST_REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0);
    return e;
}

}  // namespace

COROLLA_BACKEND_TEST(pipe_readable_only_when_data) {
    auto sel = corolla::make_selector(backend);
    auto p = fd_pair::pipe();
    sel->add(p.a, corolla::readable, 7);
    BOOST_TEST(poll_now(*sel).list.empty());
    write_str(p.b, "x");
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST(ev.list[0].fd == p.a);
    BOOST_TEST(ev.list[0].token == 7u);
    BOOST_TEST((ev.list[0].events & corolla::readable) != 0u);
    BOOST_TEST((ev.list[0].events & corolla::writable) == 0u);
    // level-triggered: reported again until drained
    BOOST_TEST(poll_now(*sel).list.size() == 1u);
    char c;
    BOOST_TEST(::read(p.a, &c, 1) == 1);
    BOOST_TEST(poll_now(*sel).list.empty());
    sel->remove(p.a);
    BOOST_TEST(sel->size() == 0u);
}

COROLLA_BACKEND_TEST(socketpair_writable_and_both_directions) {
    auto sel = corolla::make_selector(backend);
    auto sp = fd_pair::socketpair();
    sel->add(sp.a, corolla::readable | corolla::writable, 1);
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST(ev.list[0].events == corolla::writable);
    write_str(sp.b, "hi");
    ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST((ev.list[0].events & (corolla::readable | corolla::writable)) ==
               (corolla::readable | corolla::writable));
    sel->remove(sp.a);
}

COROLLA_BACKEND_TEST(hangup_reported_to_reader) {
    auto sel = corolla::make_selector(backend);
    auto sp = fd_pair::socketpair();
    sel->add(sp.a, corolla::readable, 3);
    sp.close_b();
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST((ev.list[0].events & corolla::readable) != 0u);
    if (sel->caps().reports_hangup) BOOST_TEST((ev.list[0].events & corolla::hangup) != 0u);
    char c;
    BOOST_TEST(::read(sp.a, &c, 1) == 0);  // EOF
    sel->remove(sp.a);
}

COROLLA_BACKEND_TEST(error_reported_to_writer) {
    auto sel = corolla::make_selector(backend);
    auto p = fd_pair::pipe();
    sel->add(p.b, corolla::writable, 4);
    p.close_a();  // no reader left: writing would fail with EPIPE
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST((ev.list[0].events & corolla::writable) != 0u);
    BOOST_TEST((ev.list[0].events & corolla::readable) == 0u);  // not asked for
    if (sel->caps().reports_hangup) BOOST_TEST((ev.list[0].events & corolla::error_event) != 0u);
    sel->remove(p.b);
}

COROLLA_BACKEND_TEST(socket_error_comes_with_the_event_or_stays_with_the_socket) {
    // A reset under a reader: the report carries ECONNRESET where caps().reports_error,
    // and wherever it does not, the socket still holds it.
    auto sel = corolla::make_selector(backend);
    auto conn = tcp_connection();
    sel->add(conn.a, corolla::readable, 5);
    BOOST_TEST(poll_now(*sel).list.empty());
    const linger abortive{1, 0};
    BOOST_TEST_REQUIRE(::setsockopt(conn.b, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive) == 0);
    conn.close_b();  // RST
    auto ev = poll_now(*sel, 5s);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST(ev.list[0].token == 5u);
    BOOST_TEST((ev.list[0].events & corolla::readable) != 0u);
    const int kept = so_error(conn.a);
    BOOST_TEST(ev.list[0].error == (sel->caps().reports_error ? ECONNRESET : 0));
    BOOST_TEST((ev.list[0].error == ECONNRESET || kept == ECONNRESET));
    sel->remove(conn.a);

    // A refused connect under a writer: ECONNREFUSED, the same way.
    sockaddr_in dead;
    ::close(tcp_listener(dead));  // nothing listens there any more
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fd_pair owner{s, -1};
    if (::connect(s, reinterpret_cast<sockaddr*>(&dead), sizeof dead) == 0 || errno != EINPROGRESS) {
        BOOST_TEST(errno == ECONNREFUSED);  // refused before connect() returned: nothing to report
        return;
    }
    sel->add(s, corolla::writable, 6);
    ev = poll_now(*sel, 5s);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST((ev.list[0].events & corolla::writable) != 0u);
    const int refused = so_error(s);
    BOOST_TEST(ev.list[0].error == (sel->caps().reports_error ? ECONNREFUSED : 0));
    BOOST_TEST((ev.list[0].error == ECONNREFUSED || refused == ECONNREFUSED));
    sel->remove(s);
}

COROLLA_BACKEND_TEST(eof_with_data_pending_reads_data_first) {
    auto sel = corolla::make_selector(backend);
    auto sp = fd_pair::socketpair();
    write_str(sp.b, "abc");
    sp.close_b();
    sel->add(sp.a, corolla::readable, 5);
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST((ev.list[0].events & corolla::readable) != 0u);
    char buf[8];
    BOOST_TEST(::read(sp.a, buf, sizeof buf) == 3);
    BOOST_TEST(std::string(buf, 3) == "abc");
    BOOST_TEST(::read(sp.a, buf, sizeof buf) == 0);
    sel->remove(sp.a);
}

COROLLA_BACKEND_TEST(modify_changes_interest_and_token) {
    auto sel = corolla::make_selector(backend);
    auto sp = fd_pair::socketpair();
    sel->add(sp.a, corolla::readable, 1);
    BOOST_TEST(poll_now(*sel).list.empty());
    sel->modify(sp.a, corolla::writable, 2);
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST(ev.list[0].token == 2u);
    BOOST_TEST(ev.list[0].events == corolla::writable);
    sel->modify(sp.a, corolla::readable, 3);
    BOOST_TEST(poll_now(*sel).list.empty());
    sel->remove(sp.a);
    BOOST_TEST(sel->size() == 0u);
}

COROLLA_BACKEND_TEST(remove_stops_events) {
    auto sel = corolla::make_selector(backend);
    auto p = fd_pair::pipe();
    write_str(p.b, "x");
    sel->add(p.a, corolla::readable, 1);
    BOOST_TEST(poll_now(*sel).list.size() == 1u);
    sel->remove(p.a);
    BOOST_TEST(poll_now(*sel).list.empty());
    BOOST_CHECK_THROW(sel->remove(p.a), corolla::not_registered_error);
}

COROLLA_BACKEND_TEST(remove_of_already_closed_fd) {
    auto sel = corolla::make_selector(backend);
    auto p = fd_pair::pipe();
    write_str(p.b, "x");
    sel->add(p.a, corolla::readable, 1);
    const int fd = p.a;
    p.close_a();
    BOOST_CHECK_NO_THROW(sel->remove(fd));
    BOOST_TEST(sel->size() == 0u);
    BOOST_TEST(poll_now(*sel).list.empty());
}

COROLLA_BACKEND_TEST(fd_number_reused_after_close_has_no_stale_events) {
    auto sel = corolla::make_selector(backend);
    auto old_pair = fd_pair::pipe();
    write_str(old_pair.b, "stale");
    sel->add(old_pair.a, corolla::readable, 111);
    BOOST_TEST(poll_now(*sel).list.size() == 1u);
    const int n = old_pair.a;
    sel->remove(n);
    old_pair.close_a();
    // Put a fresh, empty pipe under the same number.
    auto fresh = fd_pair::pipe();
    if (fresh.a != n) {  // the kernel usually hands out n again by itself
        BOOST_TEST_REQUIRE(::dup2(fresh.a, n) == n);
        fresh.close_a();
        fresh.a = n;
    }
    sel->add(n, corolla::readable, 222);
    BOOST_TEST(poll_now(*sel).list.empty());
    write_str(fresh.b, "new");
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST(ev.list[0].token == 222u);
    sel->remove(n);
}

COROLLA_BACKEND_TEST(leftover_events_reported_by_next_call) {
    auto sel = corolla::make_selector(backend);
    std::vector<fd_pair> pipes;
    for (int i = 0; i < 5; ++i) {
        pipes.push_back(fd_pair::pipe());
        write_str(pipes.back().b, "x");
    }
    for (auto& p : pipes)
        sel->add(p.a, corolla::readable, static_cast<std::uint64_t>(p.a));
    auto first = poll_now(*sel, 0ns, 2);
    BOOST_TEST(first.list.size() == 2u);
    auto all = poll_now(*sel, 0ns, 16);
    BOOST_TEST(all.list.size() == 5u);
    for (auto& p : pipes)
        sel->remove(p.a);
    pipes.clear();
}

COROLLA_BACKEND_TEST(wake_from_another_thread) {
    auto sel = corolla::make_selector(backend);
    std::thread t([&] { sel->wake(); });
    auto ev = poll_now(*sel, -1ns);  // must return even if the wake came first
    t.join();
    BOOST_TEST(ev.list.empty());  // the wake fd is never reported
    // Wakes coalesce and are consumed: the next wait runs its full timeout.
    sel->wake();
    sel->wake();
    BOOST_TEST(poll_now(*sel, -1ns).list.empty());
    // A signal may end a wait early (EINTR, by contract); a wake left over would end every
    // one early. So an early return counts only if it repeats three times.
    std::chrono::steady_clock::duration took{};
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto t0 = std::chrono::steady_clock::now();
        poll_now(*sel, 3ms);
        took = std::chrono::steady_clock::now() - t0;
        if (took >= 3ms) break;
    }
    BOOST_TEST(took >= 3ms, "a wait after consumed wakes returned after " << took.count() << "ns");
}

COROLLA_BACKEND_TEST(timeout_never_returns_early) {
    auto sel = corolla::make_selector(backend);
    for (auto timeout :
         {corolla::duration(1ns), corolla::duration(100us), corolla::duration(1500us), corolla::duration(2ms)}) {
        // A signal may end one wait early (EINTR is allowed to); rounding would end every
        // one early, so an early return must repeat three times to count.
        std::chrono::steady_clock::duration took{};
        for (int attempt = 0; attempt < 3; ++attempt) {
            const auto t0 = std::chrono::steady_clock::now();
            BOOST_TEST(poll_now(*sel, timeout).list.empty());
            took = std::chrono::steady_clock::now() - t0;
            if (took >= timeout) break;
        }
        BOOST_TEST(took >= timeout, "select(" << timeout.count() << "ns) returned after " << took.count() << "ns");
    }
}

namespace {
extern "C" void noop_signal_handler(int) {}
}  // namespace

COROLLA_BACKEND_TEST(eintr_returns_no_events_and_no_error) {
    auto sel = corolla::make_selector(backend);
    struct sigaction sa {
    }, old{};
    sa.sa_handler = noop_signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the wait is interrupted
    BOOST_TEST_REQUIRE(::sigaction(SIGUSR2, &sa, &old) == 0);
    std::atomic<bool> returned{false};
    const pthread_t self = ::pthread_self();
    // The signal may land before the wait starts; keep sending until select returns.
    std::thread t([&] {
        for (int i = 0; i < 5000 && !returned.load(); ++i) {
            ::pthread_kill(self, SIGUSR2);
            std::this_thread::sleep_for(1ms);
        }
    });
    events ev;
    BOOST_CHECK_NO_THROW(ev = poll_now(*sel, -1ns));
    returned = true;
    t.join();
    BOOST_TEST(ev.list.empty());
    ::sigaction(SIGUSR2, &old, nullptr);
}

COROLLA_BACKEND_TEST(bad_input_is_a_typed_error_and_changes_nothing) {
    auto sel = corolla::make_selector(backend);
    auto p = fd_pair::pipe();
    BOOST_CHECK_THROW(sel->add(-1, corolla::readable, 0), corolla::bad_fd_error);
    const int closed_fd = ::dup(p.a);
    ::close(closed_fd);
    BOOST_CHECK_THROW(sel->add(closed_fd, corolla::readable, 0), corolla::bad_fd_error);
    BOOST_CHECK_THROW(sel->add(p.a, 0, 0), std::invalid_argument);
    BOOST_CHECK_THROW(sel->add(p.a, 0x100, 0), std::invalid_argument);
    BOOST_TEST(sel->size() == 0u);
    sel->add(p.a, corolla::readable, 1);
    BOOST_CHECK_THROW(sel->add(p.a, corolla::readable, 2), corolla::already_registered_error);
    BOOST_CHECK_THROW(sel->modify(p.b, corolla::writable, 0), corolla::not_registered_error);
    BOOST_CHECK_THROW(sel->remove(p.b), corolla::not_registered_error);
    BOOST_CHECK_THROW(sel->modify(p.a, 0, 0), std::invalid_argument);
    BOOST_TEST(sel->size() == 1u);
    write_str(p.b, "x");
    auto ev = poll_now(*sel);
    BOOST_TEST_REQUIRE(ev.list.size() == 1u);
    BOOST_TEST(ev.list[0].token == 1u);  // the failed second add did not touch the token
    sel->remove(p.a);
}

COROLLA_BACKEND_TEST(fd_beyond_backend_limit_is_refused) {
    auto sel = corolla::make_selector(backend);
    const int limit = sel->caps().max_fd;
    if (limit < 0) {
        BOOST_TEST_MESSAGE(backend << " has no fd limit");
        BOOST_TEST(limit == -1);
        return;
    }
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur <= static_cast<rlim_t>(limit + 1)) {
        rlimit raised = rl;
        raised.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(limit) + 64);
        ::setrlimit(RLIMIT_NOFILE, &raised);
    }
    auto p = fd_pair::pipe();
    const int high = ::fcntl(p.a, F_DUPFD_CLOEXEC, limit + 1);
    BOOST_TEST_REQUIRE(high > limit, "cannot open an fd above " << limit << " here");
    BOOST_CHECK_THROW(sel->add(high, corolla::readable, 0), corolla::fd_out_of_range_error);
    BOOST_TEST(sel->size() == 0u);
    ::close(high);
    ::setrlimit(RLIMIT_NOFILE, &rl);
}
