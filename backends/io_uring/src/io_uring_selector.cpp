// The io_uring backend: the selector's ring (set-up with the options' flags, the opcode
// probe, registered buffers, SQPOLL), its entry points and its registration. Readiness is
// in io_uring_readiness.cpp, the native operations in io_uring_completion.cpp.
#include <corolla/io_uring/io_uring_selector.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/errors.hpp>

#include "io_uring_selector_impl.hpp"

namespace corolla {
namespace detail {

io_uring_selector::io_uring_selector(const io_uring_options& o) : sqpoll_(o.sqpoll), multishot_(o.multishot_accept) {
    if (o.entries == 0 || o.entries > 32768)
        throw std::invalid_argument("io_uring: entries must be 1..32768, not " + std::to_string(o.entries));
    if (o.cq_entries != 0 && (o.cq_entries < o.entries || o.cq_entries > 65536))
        throw std::invalid_argument("io_uring: cq_entries must be 0 or entries..65536, not " +
                                    std::to_string(o.cq_entries));
    auto params = [&o](unsigned extra) {
        io_uring_params p{};
        p.flags = extra;
        if (o.cq_entries != 0) {
            p.flags |= IORING_SETUP_CQSIZE;
            p.cq_entries = o.cq_entries;
        }
        if (o.sqpoll) {
            p.flags |= IORING_SETUP_SQPOLL;
            p.sq_thread_idle = static_cast<unsigned>(std::max<long long>(1, o.sqpoll_idle.count()));
        }
        return p;
    };
    io_uring_params p = params(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN);
    int rc = ::io_uring_queue_init_params(o.entries, &ring_, &p);
    if (rc == -EINVAL) {  // an older kernel without those flags
        p = params(0);
        rc = ::io_uring_queue_init_params(o.entries, &ring_, &p);
    }
    if (rc < 0)
        throw backend_unavailable_error(std::string("io_uring: io_uring_queue_init failed") +
                                        (o.sqpoll ? " (with SQPOLL)" : "") + ": " + std::strerror(-rc));
    arm_wake();
    if (o.native_io) probe_opcodes();
    multishot_ = multishot_ && native_[static_cast<std::size_t>(detail::io_kind::accept)];
}

io_uring_selector::~io_uring_selector() {
    ::io_uring_queue_exit(&ring_);
    for (auto& [fd, a] : acceptors_)
        for (int c : a.ready)
            ::close(c);
}

void io_uring_selector::register_buffers(std::span<const std::span<std::byte>> buffers) {
    if (!fixed_.empty()) {
        const int rc = ::io_uring_unregister_buffers(&ring_);
        if (rc < 0) throw std::system_error(-rc, std::generic_category(), "io_uring_unregister_buffers");
        fixed_.clear();
    }
    if (buffers.empty()) return;
    std::vector<iovec> v;
    v.reserve(buffers.size());
    for (auto b : buffers) {
        if (b.empty()) throw std::invalid_argument("io_uring_register_buffers: an empty buffer");
        v.push_back(iovec{b.data(), b.size()});
    }
    const int rc = ::io_uring_register_buffers(&ring_, v.data(), static_cast<unsigned>(v.size()));
    if (rc < 0) throw std::system_error(-rc, std::generic_category(), "io_uring_register_buffers");
    fixed_ = std::move(v);
}

void io_uring_selector::probe_opcodes() {
    io_uring_probe* p = ::io_uring_get_probe_ring(&ring_);
    if (!p) return;
    auto has = [p](int op) { return ::io_uring_opcode_supported(p, op) != 0; };
    using detail::io_kind;
    auto set = [this](io_kind k, bool on) {
        native_[static_cast<std::size_t>(k)] = on;
        native_any_ = native_any_ || on;
    };
    set(io_kind::recv, has(IORING_OP_RECV));
    set(io_kind::send, has(IORING_OP_SEND));
    set(io_kind::send_all, has(IORING_OP_SEND));
    set(io_kind::accept, has(IORING_OP_ACCEPT));
    set(io_kind::connect, has(IORING_OP_CONNECT));
    set(io_kind::read, has(IORING_OP_READ));
    set(io_kind::write, has(IORING_OP_WRITE));
    set(io_kind::recvfrom, has(IORING_OP_RECVMSG));
    set(io_kind::sendto, has(IORING_OP_SENDMSG));
    // Offset -1 (the file position) needs IORING_FEAT_RW_CUR_POS (5.6); without it the fs
    // module uses its thread pool.
    const bool cur_pos = (ring_.features & IORING_FEAT_RW_CUR_POS) != 0;
    set(io_kind::pread, cur_pos && has(IORING_OP_READ));
    set(io_kind::pwrite, cur_pos && has(IORING_OP_WRITE));
    set(io_kind::fsync, has(IORING_OP_FSYNC));
    ::io_uring_free_probe(p);
}

int io_uring_selector::settle_sqpoll(int rc) {
    for (int spins = 0; ::io_uring_sq_ready(&ring_) != 0 && spins < 1'000'000; ++spins) {
        if ((spins & 1023) == 1023) ::io_uring_sqring_wait(&ring_);
    }
    const int g = ::io_uring_get_events(&ring_);
    return g < 0 ? g : rc;
}

}  // namespace detail

namespace {

bool io_uring_usable() {
    io_uring ring{};
    const int rc = ::io_uring_queue_init(2, &ring, 0);
    if (rc < 0) return false;
    ::io_uring_queue_exit(&ring);
    return true;
}

unsigned env_unsigned(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    unsigned out = 0;
    const char* end = v + std::strlen(v);
    auto [p, ec] = std::from_chars(v, end, out);
    if (ec != std::errc{} || p != end)
        throw std::invalid_argument(std::string(name) + ": expected a non-negative number, got '" + v + "'");
    return out;
}

template <class Selector>
auto& as_io_uring(Selector& s) {
    using target =
        std::conditional_t<std::is_const_v<Selector>, const detail::io_uring_selector, detail::io_uring_selector>;
    auto* u = dynamic_cast<target*>(&s);
    if (!u) throw std::invalid_argument("not an io_uring selector: " + std::string(s.name()));
    return *u;
}

}  // namespace

io_uring_options io_uring_options_from_env() {
    io_uring_options o;
    o.entries = env_unsigned("COROLLA_IO_URING_ENTRIES", o.entries);
    o.sqpoll = env_unsigned("COROLLA_IO_URING_SQPOLL", 0) != 0;
    o.native_io = env_unsigned("COROLLA_IO_URING_NATIVE", 1) != 0;
    o.multishot_accept = env_unsigned("COROLLA_IO_URING_MULTISHOT_ACCEPT", o.multishot_accept ? 1 : 0) != 0;
    return o;
}

std::unique_ptr<selector> make_io_uring_selector(const io_uring_options& options) {
    return std::make_unique<detail::io_uring_selector>(options);
}

void io_uring_register_buffers(selector& s, std::span<const std::span<std::byte>> buffers) {
    as_io_uring(s).register_buffers(buffers);
}

std::size_t io_uring_fixed_operations(const selector& s) { return as_io_uring(s).fixed_operations(); }

}  // namespace corolla

extern "C" void corolla_backend_anchor_io_uring() {}

namespace {
const bool io_uring_registered = [] {
    // Never chosen by `auto` (only by name, or as a preset's default): a kernel may have
    // io_uring yet a sandbox may forbid it, and its readiness path costs more than epoll's.
    corolla::register_backend(
        {.name = "io_uring", .priority = 40, .auto_eligible = false, .probe = corolla::io_uring_usable, .make = [] {
             return corolla::make_io_uring_selector();
         }});
    return true;
}();
}  // namespace
