// generator_state: the vocabulary both generator kinds share (the stackless generator of
// the coroutine adapter and the stackful one of the fiber adapter), Python's
// inspect.getgeneratorstate. Style-free, so that neither adapter depends on the other.
#pragma once

#include <cstdint>

namespace corolla {

/// inspect.getgeneratorstate: created (not started), running (executing its body, or
/// delegated to by a generator that is), suspended (at a yield), closed (returned,
/// failed, closed, or moved from).
enum class generator_state : std::uint8_t { created, running, suspended, closed };

}  // namespace corolla
