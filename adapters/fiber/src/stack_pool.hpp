// Fiber stacks: mapped once, reused through a per-thread pool, released past a cap.
#pragma once

#include <cstddef>

#include <corolla/fiber/detail/fiber_context.hpp>

namespace corolla::detail {

struct fiber_stack {
    void* base = nullptr;       ///< start of the mapping (the guard page, if any)
    std::size_t mapped = 0;     ///< bytes mapped
    void* usable_lo = nullptr;  ///< lowest usable byte
    std::size_t usable = 0;     ///< usable bytes, from usable_lo up
};

/// A stack with at least `usable` bytes (rounded up to whole pages). Throws std::bad_alloc
/// when the system refuses the mapping.
fiber_stack allocate_fiber_stack(std::size_t usable);
/// Gives a stack back to this thread's pool (or to the system past the pool's cap).
void release_fiber_stack(const fiber_stack& s) noexcept;

/// Whether stacks get a no-access guard page below them (debug and sanitizer builds).
bool fiber_stacks_guarded() noexcept;

}  // namespace corolla::detail
