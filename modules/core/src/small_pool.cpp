#include <corolla/core/detail/small_pool.hpp>

#include <new>

namespace corolla::detail {
namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t max_pooled = 512;
constexpr std::size_t classes = max_pooled / granule;
constexpr std::size_t max_cached_per_class = 1u << 16;

struct free_block {
    free_block* next;
};

// Trivially destructible so it stays usable during thread exit; `reaper` below frees
// the cached blocks and marks the cache dead, after which frees go straight to the heap.
struct thread_cache {
    free_block* heads[classes];
    std::size_t counts[classes];
    bool dead;
};
thread_local thread_cache cache{};

struct reaper {
    ~reaper() {
        for (std::size_t c = 0; c < classes; ++c) {
            while (free_block* b = cache.heads[c]) {
                cache.heads[c] = b->next;
                ::operator delete(b);
            }
            cache.counts[c] = 0;
        }
        cache.dead = true;
    }
};
thread_local reaper reaper_instance;

std::size_t class_of(std::size_t size) noexcept { return (size + granule - 1) / granule - 1; }

}  // namespace

void* pool_allocate(std::size_t size) {
    if (size == 0 || size > max_pooled) return ::operator new(size);
    const std::size_t c = class_of(size);
    if (free_block* b = cache.heads[c]) {
        cache.heads[c] = b->next;
        --cache.counts[c];
        return b;
    }
    (void)&reaper_instance;  // odr-use so the thread-exit cleanup is registered
    return ::operator new((c + 1) * granule);
}

void pool_deallocate(void* p, std::size_t size) noexcept {
    if (!p) return;
    if (size == 0 || size > max_pooled || cache.dead) {
        ::operator delete(p);
        return;
    }
    const std::size_t c = class_of(size);
    if (cache.counts[c] >= max_cached_per_class) {
        ::operator delete(p);
        return;
    }
    auto* b = static_cast<free_block*>(p);
    b->next = cache.heads[c];
    cache.heads[c] = b;
    ++cache.counts[c];
}

}  // namespace corolla::detail
