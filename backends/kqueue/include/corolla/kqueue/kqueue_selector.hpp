// The kqueue backend (macOS, the BSDs; on Linux through the libkqueue emulation library,
// found with pkg-config): level-triggered EVFILT_READ / EVFILT_WRITE per fd, EV_EOF
// reported as a hang-up (data still pending is read first) with the socket error of its
// fflags in ready_event::error, and the same wake fd as the other backends for wake(),
// whose write(2) is async-signal-safe where kevent() in an emulation library is not.
// Building and testing it on Linux: backends/kqueue/README.md.
#pragma once

#include <memory>

#include <corolla/core/selector.hpp>

namespace corolla {

/// Makes a kqueue selector directly (the registry name is "kqueue").
std::unique_ptr<selector> make_kqueue_selector();

}  // namespace corolla
