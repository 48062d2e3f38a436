// The io_uring backend (Linux, liburing): readiness through one-shot poll requests batched
// into the same io_uring_enter that waits, so every selector behaviour of the conformance
// suite holds. `auto` never picks it; ask for it by name ("io_uring") or make it a
// preset's default. Where io_uring is missing or forbidden (old kernel, a sandbox's
// seccomp filter, kernel.io_uring_disabled), asking for it fails with
// backend_unavailable_error.
#pragma once

#include <memory>

#include <corolla/core/selector.hpp>

namespace corolla {

/// Makes an io_uring selector directly (the registry name is "io_uring"). Throws
/// backend_unavailable_error when the kernel refuses a ring.
std::unique_ptr<selector> make_io_uring_selector();

}  // namespace corolla
