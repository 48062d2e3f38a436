// The poll backend (POSIX): a dense pollfd array with O(1) add/modify/remove, ppoll
// for nanosecond timeouts where the platform has it.
#pragma once

#include <memory>

#include <corolla/core/selector.hpp>

namespace corolla {

/// Makes a poll selector directly (the registry name is "poll").
std::unique_ptr<selector> make_poll_selector();

}  // namespace corolla
