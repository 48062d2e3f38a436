// The select backend (POSIX): the portable fallback. Refuses fds >= FD_SETSIZE with
// fd_out_of_range_error, because FD_SET past the end corrupts memory.
#pragma once

#include <memory>

#include <corolla/core/selector.hpp>

namespace corolla {

/// Makes a select selector directly (the registry name is "select").
std::unique_ptr<selector> make_select_selector();

}  // namespace corolla
