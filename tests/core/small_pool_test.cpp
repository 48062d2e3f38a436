// The per-thread block pool: blocks of any size class come back in LIFO order, a block
// may be freed on another thread, and a thread that exits hands its free blocks over so
// that other threads reuse them instead of the memory being lost.
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <corolla/core/detail/small_pool.hpp>

#include "support/backend_matrix.hpp"

using corolla::detail::pool_allocate;
using corolla::detail::pool_deallocate;

BOOST_AUTO_TEST_SUITE(small_pool)

BOOST_AUTO_TEST_CASE(blocks_are_aligned_distinct_and_reused) {
    std::vector<void*> blocks;
    for (std::size_t size = 1; size <= 512; size += 7) {
        void* p = pool_allocate(size);
        BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t) == 0u);
        std::memset(p, 0x5a, size);  // the whole block is usable
        blocks.push_back(p);
    }
    for (std::size_t i = 0; i < blocks.size(); ++i)
        for (std::size_t j = i + 1; j < blocks.size(); ++j)
            BOOST_TEST(blocks[i] != blocks[j]);
    void* p = pool_allocate(96);
    pool_deallocate(p, 96);
    BOOST_TEST(pool_allocate(90) == p);  // same size class, last freed first
    pool_deallocate(p, 90);
    std::size_t size = 1;
    for (void* b : blocks) {
        pool_deallocate(b, size);
        size += 7;
    }
    void* big = pool_allocate(4096);  // past the pooled sizes: the global allocator
    pool_deallocate(big, 4096);
}

BOOST_AUTO_TEST_CASE(a_thread_that_exits_hands_its_free_blocks_over) {
    constexpr std::size_t size = 488;  // a size class nothing else in this test uses
    void* p = pool_allocate(size);
    std::thread freer([p] { pool_deallocate(p, size); });  // p joins the freer's list
    freer.join();                                          // and the freer exits
    void* q = nullptr;
    std::thread user([&q] {
        q = pool_allocate(size);  // a fresh thread draws on what exited threads left
        pool_deallocate(q, size);
    });
    user.join();
    BOOST_TEST(q == p);
}

BOOST_AUTO_TEST_SUITE_END()
