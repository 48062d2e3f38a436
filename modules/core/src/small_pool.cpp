#include <corolla/core/detail/small_pool.hpp>

#include <mutex>
#include <new>
#include <vector>

namespace corolla::detail {
namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t max_pooled = 512;
constexpr std::size_t classes = max_pooled / granule;
constexpr std::size_t slab_size = 64 * 1024;

struct free_block {
    free_block* next;
};

// Every slab starts with this header, which links it into a process-wide list: slabs are
// never given back, and the list keeps them reachable (leak checkers stay quiet).
struct alignas(std::max_align_t) slab_header {
    slab_header* next;
};
static_assert(sizeof(slab_header) % granule == 0);

struct region {
    char* begin;
    char* end;
};

// What threads leave behind when they exit: their free blocks and the unused tail of
// their current slab, for other threads to reuse. Never destroyed (threads may exit
// during static destruction).
struct depot {
    std::mutex mutex;
    free_block* heads[classes] = {};
    std::vector<region> regions;
    slab_header* slabs = nullptr;
};
depot& the_depot() {
    static depot* d = new depot;
    return *d;
}

// Trivially destructible so it stays usable during thread exit; `reaper` below hands the
// cache to the depot and marks it dead, after which this thread goes through the depot.
struct thread_cache {
    free_block* heads[classes];
    char* bump;
    char* bump_end;
    bool dead;
};
thread_local thread_cache cache{};

std::size_t class_of(std::size_t size) noexcept { return (size + granule - 1) / granule - 1; }

// Carves one block of class `c` from `r`, or returns null when `r` is too short.
void* carve(char*& bump, char* end, std::size_t c) noexcept {
    const std::size_t bytes = (c + 1) * granule;
    if (static_cast<std::size_t>(end - bump) < bytes) return nullptr;
    void* p = bump;
    bump += bytes;
    return p;
}

// A fresh region: a tail left by an exited thread (each holds at least max_pooled bytes),
// or a new slab. Called with the depot locked.
region take_region(depot& d) {
    if (!d.regions.empty()) {
        const region r = d.regions.back();
        d.regions.pop_back();
        return r;
    }
    auto* slab = static_cast<slab_header*>(::operator new(slab_size));
    slab->next = d.slabs;
    d.slabs = slab;
    char* base = reinterpret_cast<char*>(slab);
    return region{base + sizeof(slab_header), base + slab_size};
}

// Gives up the rest of a region: a short rest (always a whole number of granules) becomes
// one free block in `heads`, a long one goes to the depot. Depot locked for the latter.
void retire_region(depot& d, region r, free_block** heads) noexcept {
    const auto bytes = static_cast<std::size_t>(r.end - r.begin);
    if (bytes == 0) return;
    if (bytes < max_pooled) {
        auto* b = reinterpret_cast<free_block*>(r.begin);
        b->next = heads[class_of(bytes)];
        heads[class_of(bytes)] = b;
        return;
    }
    try {
        d.regions.push_back(r);
    } catch (...) {  // out of memory: the rest of this slab goes unused
    }
}

// Slow path of pool_allocate: adopt blocks other threads left, else carve.
void* refill(std::size_t c) {
    depot& d = the_depot();
    if (void* p = carve(cache.bump, cache.bump_end, c)) return p;
    std::lock_guard lock(d.mutex);
    if (d.heads[c]) {
        free_block* b = d.heads[c];
        if (!cache.dead) {
            cache.heads[c] = b->next;  // adopt the whole list
            d.heads[c] = nullptr;
        } else {
            d.heads[c] = b->next;
        }
        return b;
    }
    if (cache.dead) {
        // No thread cache any more: carve straight from a depot region.
        region r = take_region(d);
        void* p = carve(r.begin, r.end, c);
        retire_region(d, r, d.heads);
        return p;
    }
    const region r = take_region(d);
    retire_region(d, region{cache.bump, cache.bump_end}, cache.heads);
    cache.bump = r.begin;
    cache.bump_end = r.end;
    return carve(cache.bump, cache.bump_end, c);
}

struct reaper {
    ~reaper() {
        depot& d = the_depot();
        std::lock_guard lock(d.mutex);
        for (std::size_t c = 0; c < classes; ++c) {
            free_block* head = cache.heads[c];
            if (!head) continue;
            free_block* tail = head;
            while (tail->next)
                tail = tail->next;
            tail->next = d.heads[c];
            d.heads[c] = head;
            cache.heads[c] = nullptr;
        }
        retire_region(d, region{cache.bump, cache.bump_end}, d.heads);
        cache.bump = cache.bump_end = nullptr;
        cache.dead = true;
    }
};
thread_local reaper reaper_instance;

// The slow paths live out of line so that the fast ones (a pointer pop or push) save no
// registers and set up no frame.
[[gnu::noinline]] void* allocate_slow(std::size_t size) {
    if (size == 0 || size > max_pooled) return ::operator new(size);
    (void)&reaper_instance;  // odr-use so the thread-exit handover is registered
    return refill(class_of(size));
}

[[gnu::noinline]] void deallocate_slow(void* p, std::size_t size) noexcept {
    if (!p) return;
    if (size == 0 || size > max_pooled) {
        ::operator delete(p);
        return;
    }
    const std::size_t c = class_of(size);
    auto* b = static_cast<free_block*>(p);
    if (cache.dead) {
        depot& d = the_depot();
        std::lock_guard lock(d.mutex);
        b->next = d.heads[c];
        d.heads[c] = b;
        return;
    }
    (void)&reaper_instance;  // a thread that only frees hands over too
    b->next = cache.heads[c];
    cache.heads[c] = b;
}

}  // namespace

void* pool_allocate(std::size_t size) {
    if (size - 1 < max_pooled) [[likely]] {  // 1..max_pooled
        const std::size_t c = class_of(size);
        if (free_block* b = cache.heads[c]) [[likely]] {
            cache.heads[c] = b->next;
            return b;
        }
    }
    return allocate_slow(size);
}

void pool_deallocate(void* p, std::size_t size) noexcept {
    if (p && size - 1 < max_pooled) [[likely]] {
        const std::size_t c = class_of(size);
        if (free_block* head = cache.heads[c]; head && !cache.dead) [[likely]] {
            auto* b = static_cast<free_block*>(p);
            b->next = head;
            cache.heads[c] = b;
            return;
        }
    }
    deallocate_slow(p, size);
}

}  // namespace corolla::detail
