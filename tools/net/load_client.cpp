// corolla_load: a TCP (or Unix-socket) echo load generator for comparing echo servers.
// One thread and a raw epoll loop, no corolla code, so it treats every server alike. Each
// connection plays ping-pong: it sends one message of --size bytes (a pattern that changes
// with every request), waits until exactly that many bytes came back, checks they are the
// ones sent, records the round-trip time and sends the next. All connections are open
// before the clock starts; the first --warmup seconds are not counted.
//
//   corolla_load --port 7000 --connections 300 --size 128 --duration 5
//   corolla_load --unix /tmp/echo.sock --connections 50 --json
//
// Prints requests/s, MB/s (message bytes echoed per second, one way) and round-trip latency
// percentiles in microseconds; --json prints the same as one JSON object. Any wrong, short
// or missing echo, a connection closed by the server, a connect error or a server silent
// for --timeout seconds ends the run with a message on stderr and exit status 2.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

namespace {

constexpr int exit_usage = 1;
constexpr int exit_failure = 2;

const char usage_text[] =
    "usage: corolla_load --port N [--host ADDR] | --unix PATH\n"
    "                    [--connections N] [--size BYTES] [--duration SECONDS]\n"
    "                    [--warmup SECONDS] [--timeout SECONDS] [--json]\n"
    "\n"
    "Echo load generator: every connection sends a message, waits for the same bytes back,\n"
    "checks them and sends the next (ping-pong). One thread, raw epoll.\n"
    "\n"
    "  --host ADDR         server address or name (default 127.0.0.1)\n"
    "  --port N            server TCP port (required unless --unix)\n"
    "  --unix PATH         connect to a Unix stream socket instead\n"
    "  --connections N     concurrent connections (default 1)\n"
    "  --size BYTES        message size (default 128)\n"
    "  --duration SECONDS  measured time, after the warm-up (default 5)\n"
    "  --warmup SECONDS    unmeasured time first (default 0.2)\n"
    "  --timeout SECONDS   fail when no reply arrives for this long (default 5)\n"
    "  --json              print one JSON object instead of text\n"
    "  --help              this text\n"
    "\n"
    "Output: requests/s, MB/s (message bytes echoed per second, one way), round-trip latency\n"
    "p50/p90/p99/p99.9/max in microseconds, errors. total_requests in the JSON includes the\n"
    "warm-up. Each SIGUSR1 appends the number of requests completed so far to \"marks\" in the\n"
    "JSON (to relate a window of another measurement, such as strace, to requests).\n"
    "Exit status: 0 done, 1 bad arguments, 2 a connection or an echo failed.\n";

[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

void fail(const char* fmt, ...) {
    std::fputs("corolla_load: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::exit(exit_failure);
}

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "corolla_load: %s\n(see corolla_load --help)\n", message.c_str());
    std::exit(exit_usage);
}

volatile std::sig_atomic_t mark_requested = 0;
void on_sigusr1(int) { mark_requested = 1; }

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct options {
    std::string host = "127.0.0.1";
    long port = -1;
    std::string unix_path;
    long connections = 1;
    long size = 128;
    double duration = 5.0;
    double warmup = 0.2;
    double timeout = 5.0;
    bool json = false;
};

long parse_long(std::string_view name, const char* text, long lo, long hi) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
        usage_error(std::string(name) + " wants an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                    ", not '" + text + "'");
    return v;
}

double parse_seconds(std::string_view name, const char* text, bool allow_zero) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !std::isfinite(v) || v < 0 || (v == 0 && !allow_zero) || v > 86400)
        usage_error(std::string(name) + " wants seconds (" + (allow_zero ? ">= 0" : "> 0") + "), not '" + text + "'");
    return v;
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            std::exit(0);
        }
        if (arg == "--json") {
            o.json = true;
            continue;
        }
        // Both "--name value" and "--name=value".
        std::string name(arg);
        const char* value = nullptr;
        if (const auto eq = arg.find('='); eq != std::string_view::npos) {
            name = std::string(arg.substr(0, eq));
            value = argv[i] + eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        }
        const bool known = name == "--host" || name == "--port" || name == "--unix" || name == "--connections" ||
                           name == "--size" || name == "--duration" || name == "--warmup" || name == "--timeout";
        if (!known) usage_error("unknown option '" + std::string(arg) + "'");
        if (value == nullptr) usage_error(name + " needs a value");
        if (name == "--host") {
            o.host = value;
        } else if (name == "--port") {
            o.port = parse_long(name, value, 1, 65535);
        } else if (name == "--unix") {
            o.unix_path = value;
        } else if (name == "--connections") {
            o.connections = parse_long(name, value, 1, 1'000'000);
        } else if (name == "--size") {
            o.size = parse_long(name, value, 1, 64L << 20);
        } else if (name == "--duration") {
            o.duration = parse_seconds(name, value, false);
        } else if (name == "--warmup") {
            o.warmup = parse_seconds(name, value, true);
        } else {
            o.timeout = parse_seconds(name, value, false);
        }
    }
    if (o.unix_path.empty() && o.port < 0) usage_error("give --port (or --unix PATH)");
    if (!o.unix_path.empty() && o.port >= 0) usage_error("--unix and --port exclude each other");
    if (o.unix_path.size() >= sizeof(sockaddr_un{}.sun_path)) usage_error("--unix path too long");
    return o;
}

/// Round-trip times in nanoseconds: exact below 64 ns, then 64 buckets per power of two,
/// so a percentile is off by less than 1%. Fixed size: a long run allocates nothing.
class latency_histogram {
public:
    void record(std::uint64_t ns) {
        ++counts_[index_of(ns)];
        ++total_;
        max_ = std::max(max_, ns);
        sum_ += ns;
    }
    void clear() { *this = latency_histogram{}; }
    std::uint64_t count() const { return total_; }
    std::uint64_t max() const { return max_; }
    double mean() const { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0.0; }

    /// The value at quantile q (0..1]: the middle of the bucket holding the rank, at most the maximum.
    double quantile(double q) const {
        if (total_ == 0) return 0.0;
        const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i) {
            seen += counts_[i];
            if (seen >= std::max<std::uint64_t>(rank, 1)) {
                const auto [lo, hi] = bounds_of(i);
                return std::min(static_cast<double>(lo) + static_cast<double>(hi - lo) / 2.0,
                                static_cast<double>(max_));
            }
        }
        return static_cast<double>(max_);
    }

private:
    static constexpr int sub_bits = 6;
    static constexpr std::uint64_t sub = 1u << sub_bits;
    static constexpr std::size_t buckets = sub + (64 - sub_bits) * sub;

    static std::size_t index_of(std::uint64_t v) {
        if (v < sub) return v;
        const int e = 63 - std::countl_zero(v);              // >= sub_bits
        const std::uint64_t mantissa = v >> (e - sub_bits);  // sub .. 2*sub-1
        return sub + static_cast<std::size_t>(e - sub_bits) * sub + (mantissa - sub);
    }
    static std::pair<std::uint64_t, std::uint64_t> bounds_of(std::size_t i) {
        if (i < sub) return {i, i};
        const int e = static_cast<int>((i - sub) / sub) + sub_bits;
        const std::uint64_t mantissa = (i - sub) % sub + sub;
        const int shift = e - sub_bits;
        return {mantissa << shift, ((mantissa + 1) << shift) - 1};
    }

    std::uint64_t counts_[buckets] = {};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;
};

/// One client connection and the request it has in flight. Its two buffers live in a
/// slab shared by all connections.
struct connection {
    int fd = -1;
    std::uint32_t id = 0;
    std::uint64_t seq = 0;  // requests started on this connection
    std::size_t sent = 0;
    std::size_t received = 0;
    std::int64_t started_ns = 0;
    unsigned char* out = nullptr;
    unsigned char* in = nullptr;
};

/// The message of request `seq` on connection `id`: splitmix64 output, so every request
/// differs and a reply mixed up between connections or requests shows.
void fill_message(unsigned char* p, std::size_t size, std::uint32_t id, std::uint64_t seq) {
    std::uint64_t x = (std::uint64_t{id} << 40) ^ seq;
    std::size_t i = 0;
    for (; i < size; i += 8) {
        x += 0x9e3779b97f4a7c15ULL;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        std::memcpy(p + i, &z, std::min<std::size_t>(8, size - i));
    }
}

void raise_fd_limit(long connections) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
        ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    const auto needed = static_cast<rlim_t>(connections) + 16;
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed)
        fail("%ld connections need %llu file descriptors, but the limit is %llu (hard limit %llu)", connections,
             static_cast<unsigned long long>(needed), static_cast<unsigned long long>(lim.rlim_cur),
             static_cast<unsigned long long>(lim.rlim_max));
}

/// The server's address, resolved once.
struct target {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string text;
};

target resolve(const options& o) {
    target t;
    if (!o.unix_path.empty()) {
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::memcpy(un.sun_path, o.unix_path.c_str(), o.unix_path.size() + 1);
        std::memcpy(&t.addr, &un, sizeof un);
        t.len = sizeof un;
        t.text = o.unix_path;
        return t;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(o.port);
    if (const int rc = ::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res); rc != 0 || res == nullptr)
        fail("cannot resolve %s: %s", o.host.c_str(), ::gai_strerror(rc));
    std::memcpy(&t.addr, res->ai_addr, res->ai_addrlen);
    t.len = res->ai_addrlen;
    ::freeaddrinfo(res);
    t.text = (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) + ":" + port;
    return t;
}

/// A blocking connect (the server accepts while we wait), then non-blocking for the run.
int open_connection(const target& t, long index) {
    const int fd = ::socket(t.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("connection %ld: socket: %s", index, std::strerror(errno));
    if (t.addr.ss_family != AF_UNIX) {
        const int one = 1;
        if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
            fail("connection %ld: TCP_NODELAY: %s", index, std::strerror(errno));
    }
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&t.addr), t.len);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) fail("connection %ld: connect to %s: %s", index, t.text.c_str(), std::strerror(errno));
    if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
        fail("connection %ld: O_NONBLOCK: %s", index, std::strerror(errno));
    return fd;
}

class load_run {
public:
    load_run(const options& o, const target& t) : opt_(o), size_(static_cast<std::size_t>(o.size)) {
        conns_.resize(static_cast<std::size_t>(o.connections));
        slab_ = std::make_unique<unsigned char[]>(2 * size_ * conns_.size());
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epfd_ < 0) fail("epoll_create1: %s", std::strerror(errno));
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            connection& c = conns_[i];
            c.id = static_cast<std::uint32_t>(i);
            c.out = slab_.get() + 2 * size_ * i;
            c.in = c.out + size_;
            c.fd = open_connection(t, static_cast<long>(i));
            // Edge-triggered, registered once: no epoll_ctl per request.
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
            ev.data.u32 = c.id;
            if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) fail("epoll_ctl: %s", std::strerror(errno));
        }
    }
    ~load_run() {
        for (auto& c : conns_)
            if (c.fd >= 0) ::close(c.fd);
        if (epfd_ >= 0) ::close(epfd_);
    }
    load_run(const load_run&) = delete;
    load_run& operator=(const load_run&) = delete;

    void run() {
        const std::int64_t start = now_ns();
        const std::int64_t warm_end = start + static_cast<std::int64_t>(opt_.warmup * 1e9);
        const std::int64_t end = warm_end + static_cast<std::int64_t>(opt_.duration * 1e9);
        const std::int64_t stall_ns = static_cast<std::int64_t>(opt_.timeout * 1e9);
        measuring_ = warm_end <= start;
        measure_start_ = start;
        for (auto& c : conns_)
            start_request(c, start);
        std::vector<epoll_event> events(std::min<std::size_t>(conns_.size(), 1024));
        std::int64_t now = start;
        std::int64_t last_progress = start;
        while (now < end) {
            const std::int64_t next = measuring_ ? end : warm_end;
            const int wait_ms = static_cast<int>(std::clamp<std::int64_t>(
                (next - now + 999'999) / 1'000'000, 0, std::max<std::int64_t>(stall_ns / 1'000'000, 1)));
            const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), wait_ms);
            if (n < 0 && errno != EINTR) fail("epoll_wait: %s", std::strerror(errno));
            if (mark_requested) {
                mark_requested = 0;
                marks_.push_back(total_);
            }
            const std::uint64_t before = total_;
            for (int i = 0; i < n; ++i)
                handle(conns_[events[static_cast<std::size_t>(i)].data.u32],
                       events[static_cast<std::size_t>(i)].events);
            now = now_ns();
            if (total_ != before) {
                last_progress = now;
            } else if (now - last_progress > stall_ns) {
                fail("no echo for %.1f s (%llu requests done so far): the server stopped answering", opt_.timeout,
                     static_cast<unsigned long long>(total_));
            }
            if (!measuring_ && now >= warm_end) {
                measuring_ = true;
                measure_start_ = now;
                hist_.clear();
            }
        }
        measure_end_ = now;
    }

    void report(const target& t) const {
        const double secs = static_cast<double>(measure_end_ - measure_start_) / 1e9;
        const double rate = secs > 0 ? static_cast<double>(hist_.count()) / secs : 0.0;
        const double mbps = rate * static_cast<double>(size_) / 1e6;
        auto us = [&](double q) { return hist_.quantile(q) / 1e3; };
        const double max_us = static_cast<double>(hist_.max()) / 1e3;
        if (opt_.json) {
            std::printf(
                "{\"target\": \"%s\", \"connections\": %zu, \"size\": %zu, \"duration_s\": %.6f, \"warmup_s\": %.6f, "
                "\"requests\": %llu, \"total_requests\": %llu, \"requests_per_s\": %.3f, \"mb_per_s\": %.6f, "
                "\"latency_us\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p99.9\": %.3f, \"max\": %.3f, "
                "\"mean\": %.3f}, \"marks\": [%s], \"errors\": 0}\n",
                t.text.c_str(), conns_.size(), size_, secs, opt_.warmup, static_cast<unsigned long long>(hist_.count()),
                static_cast<unsigned long long>(total_), rate, mbps, us(0.50), us(0.90), us(0.99), us(0.999), max_us,
                hist_.mean() / 1e3, marks_text().c_str());
        } else {
            std::printf(
                "corolla_load: %s, %zu connection(s), %zu-byte messages, %.2f s measured after %.2f s warm-up\n",
                t.text.c_str(), conns_.size(), size_, secs, opt_.warmup);
            std::printf("  requests     %llu  (%.0f req/s, %.2f MB/s each way)\n",
                        static_cast<unsigned long long>(hist_.count()), rate, mbps);
            std::printf("  latency us   p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", us(0.50), us(0.90),
                        us(0.99), us(0.999), max_us);
            std::printf("  errors       0\n");
        }
        std::fflush(stdout);
    }

private:
    std::string marks_text() const {
        std::string out;
        for (const auto m : marks_)
            out += (out.empty() ? "" : ", ") + std::to_string(m);
        return out;
    }

    void start_request(connection& c, std::int64_t now) {
        fill_message(c.out, size_, c.id, c.seq++);
        c.sent = 0;
        c.received = 0;
        c.started_ns = now;
        send_more(c);
    }

    void send_more(connection& c) {
        while (c.sent < size_) {
            const ssize_t n = ::send(c.fd, c.out + c.sent, size_ - c.sent, MSG_NOSIGNAL);
            if (n > 0) {
                c.sent += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;  // the edge-triggered EPOLLOUT calls again
            } else {
                fail("connection %u: send after %zu of %zu bytes: %s", c.id, c.sent, size_,
                     n == 0 ? "sent nothing" : std::strerror(errno));
            }
        }
    }

    void handle(connection& c, std::uint32_t events) {
        if ((events & EPOLLOUT) && c.sent < size_) send_more(c);
        if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
        for (;;) {
            const std::size_t want = size_ - c.received;
            const ssize_t n = ::recv(c.fd, c.in + c.received, want, 0);
            if (n > 0) {
                c.received += static_cast<std::size_t>(n);
                if (c.received > c.sent)
                    fail("connection %u: %zu bytes came back but only %zu were sent", c.id, c.received, c.sent);
                if (c.received == size_) {
                    complete(c);
                    return;  // the reply to the next request is not there yet; its arrival is a new edge
                }
                if (static_cast<std::size_t>(n) < want) return;  // drained; more data is a new edge
            } else if (n == 0) {
                fail("connection %u: the server closed the connection after %zu of %zu echoed bytes", c.id, c.received,
                     size_);
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            } else {
                fail("connection %u: recv: %s", c.id, std::strerror(errno));
            }
        }
    }

    void complete(connection& c) {
        if (std::memcmp(c.in, c.out, size_) != 0) {
            std::size_t at = 0;
            while (c.in[at] == c.out[at])
                ++at;
            fail("connection %u, request %llu: the echo differs from what was sent at byte %zu of %zu", c.id,
                 static_cast<unsigned long long>(c.seq - 1), at, size_);
        }
        const std::int64_t now = now_ns();
        hist_.record(static_cast<std::uint64_t>(now - c.started_ns));
        ++total_;
        start_request(c, now);
    }

    const options& opt_;
    std::size_t size_;
    std::vector<connection> conns_;
    std::unique_ptr<unsigned char[]> slab_;
    int epfd_ = -1;
    latency_histogram hist_;
    std::uint64_t total_ = 0;
    std::vector<std::uint64_t> marks_;
    bool measuring_ = false;
    std::int64_t measure_start_ = 0;
    std::int64_t measure_end_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const options opt = parse_options(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};  // no SA_RESTART: the signal ends epoll_wait, so the mark is taken at once
    sa.sa_handler = on_sigusr1;
    ::sigaction(SIGUSR1, &sa, nullptr);
    raise_fd_limit(opt.connections);
    const target t = resolve(opt);
    load_run run(opt, t);
    run.run();
    run.report(t);
    return 0;
}
