// Per-thread free lists for small fixed-size blocks. Handles, future states, tasks and
// coroutine frames are allocated and freed at very high rates; a thread-local free list
// turns that into a pointer pop. Fresh blocks are carved from 64 KiB slabs (no per-block
// allocator header). A block may be freed on any thread (it simply joins that thread's
// list); a thread that exits hands its free blocks and the rest of its slab to a
// process-wide depot that other threads draw from. Slabs are never given back: memory
// the pool once held stays available for reuse by the pool.
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
