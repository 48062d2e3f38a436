// The epoll backend (Linux): level-triggered epoll with an eventfd for wake() and
// nanosecond timeouts through epoll_pwait2 where the kernel has it.
#pragma once

#include <memory>

#include <corolla/core/selector.hpp>

namespace corolla {

/// Makes an epoll selector directly (the registry name is "epoll").
std::unique_ptr<selector> make_epoll_selector();

}  // namespace corolla
