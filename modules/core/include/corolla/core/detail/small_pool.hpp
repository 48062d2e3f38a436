// Per-thread free lists for small fixed-size blocks. Handles and future states are
// allocated and freed at very high rates; a thread-local free list turns that into a
// pointer pop. Blocks are individually allocated, so a block may be freed on any thread
// (it simply joins that thread's list) and nothing dangles when a thread exits.
#pragma once

#include <cstddef>

namespace corolla::detail {

/// Allocates `size` bytes (max_align_t aligned) from the calling thread's cache.
void* pool_allocate(std::size_t size);
/// Returns a block obtained from pool_allocate with the same size.
void pool_deallocate(void* p, std::size_t size) noexcept;

/// Mix-in giving a class pooled operator new/delete (sized delete carries the size).
struct pooled {
    static void* operator new(std::size_t size) { return pool_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }
};

}  // namespace corolla::detail
