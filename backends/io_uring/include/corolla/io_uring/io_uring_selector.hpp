// The io_uring backend (Linux, liburing): readiness through one-shot poll requests batched
// into the same io_uring_enter that waits, so every selector behaviour of the conformance
// suite holds, and native completion I/O for the socket and file operations. `auto` never
// picks it; ask for it by name ("io_uring") or make it a preset's default. Where io_uring
// is missing or forbidden (old kernel, a sandbox's seccomp filter,
// kernel.io_uring_disabled), asking for it fails with backend_unavailable_error.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>

#include <corolla/core/selector.hpp>

namespace corolla {

/// How an io_uring selector sets up its ring. The defaults are what the registry's
/// "io_uring" backend uses; the environment can change them for a whole program (see each
/// field), which is how the test suite runs on a tiny ring and with SQPOLL.
struct io_uring_options {
    /// Submission queue entries (rounded up to a power of two by the kernel); the
    /// completion queue gets twice as many unless `cq_entries` is set. More in flight than
    /// fits is fine: a full submission queue is flushed to the kernel, and completions
    /// beyond the completion queue wait in the kernel's overflow list until reaped.
    /// Environment: COROLLA_IO_URING_ENTRIES.
    unsigned entries = 1024;
    /// Completion queue entries; 0: twice `entries`.
    unsigned cq_entries = 0;
    /// IORING_SETUP_SQPOLL: a kernel thread polls the submission queue, so submitting takes
    /// no syscall while it is awake. It burns a CPU while busy and sleeps after
    /// `sqpoll_idle` without work; worth it only for loops that submit constantly on a
    /// machine with a core to spare. Off by default. Environment: COROLLA_IO_URING_SQPOLL=1.
    bool sqpoll = false;
    std::chrono::milliseconds sqpoll_idle{100};
    /// Perform socket and file operations natively (false: everything through readiness,
    /// as when the kernel lacks the opcodes). Environment: COROLLA_IO_URING_NATIVE=0.
    bool native_io = true;
    /// One multishot accept per listener (IORING_ACCEPT_MULTISHOT, Linux 5.19+; older
    /// kernels fall back to one accept per connection): the kernel takes connections in as
    /// they arrive, and an accept finding one already taken in completes without a syscall.
    /// Each connection's peer address then costs a getpeername. The kernel takes in every
    /// connection queued when it runs the accept, so a burst lands in this process whole;
    /// once 32 or more wait taken in, the multishot accept is stopped and later connections
    /// wait in the listen backlog, as without it, until an accept finds none taken in.
    /// Environment: COROLLA_IO_URING_MULTISHOT_ACCEPT=1.
    bool multishot_accept = false;
};

/// The options the registry's "io_uring" backend uses: the defaults, changed by the
/// COROLLA_IO_URING_* environment variables. Throws std::invalid_argument for a malformed value.
io_uring_options io_uring_options_from_env();

/// Makes an io_uring selector directly (the registry name is "io_uring"); pass it to an
/// event loop through loop_options::selector. Throws backend_unavailable_error when the
/// kernel refuses the ring (io_uring disabled, SQPOLL not permitted, ...), and
/// std::invalid_argument for options it cannot honour (entries 0 or over 32768).
std::unique_ptr<selector> make_io_uring_selector(const io_uring_options& options = io_uring_options_from_env());

/// Registered buffers (IORING_REGISTER_BUFFERS): the kernel pins these memory areas once,
/// so I/O into them skips the per-operation page mapping. Afterwards every native read,
/// and every recv without flags, whose buffer lies inside one of the areas runs as
/// IORING_OP_READ_FIXED; every native write as IORING_OP_WRITE_FIXED (sockets keep using
/// send, for MSG_NOSIGNAL). Nothing else changes for the caller: the same operations,
/// the same results. Replaces an earlier registration; an empty span unregisters. The
/// memory must outlive the registration (or the selector).
/// Throws std::invalid_argument when `s` is not an io_uring selector, and os_error-like
/// std::system_error when the kernel refuses (e.g. RLIMIT_MEMLOCK too low).
void io_uring_register_buffers(selector& s, std::span<const std::span<std::byte>> buffers);

/// How many native operations used a registered buffer (for tests and benchmarks).
std::size_t io_uring_fixed_operations(const selector& s);

}  // namespace corolla
