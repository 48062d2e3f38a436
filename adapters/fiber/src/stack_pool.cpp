#include "stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>

#if defined(COROLLA_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace corolla {

namespace detail {

thread_local constinit stack_pool_state tls_stack_pool{};
thread_local constinit fiber_stack_usage tls_stack_usage{};

namespace {

#if !defined(NDEBUG) || defined(COROLLA_ASAN) || defined(COROLLA_TSAN)
constexpr bool guarded = true;
#else
constexpr bool guarded = false;
#endif

// Free stacks kept per thread, by total bytes: enough to make spawn/finish churn free of
// system calls without holding on to memory after a burst.
constexpr std::size_t pool_cap_bytes = std::size_t{64} << 20;

// Successive stacks put their record (and so the fiber's first frames) at different
// offsets within a page, so that the hot top frames of many fibers do not all compete
// for the same few sets of the L1 data cache.
constexpr std::size_t stagger_step = 512;
constexpr std::size_t stagger_steps = 8;
thread_local constinit std::size_t stagger_next = 0;

std::size_t page_size() noexcept {
    std::size_t p = __atomic_load_n(&fiber_page_size_cache, __ATOMIC_RELAXED);
    return p ? p : fiber_page_size_slow();
}

void unmap(fiber_stack* s) noexcept {
    --tls_stack_usage.mapped;
    ::munmap(s->base, s->mapped);
}

// Unmaps this thread's free stacks when it exits; a loop outliving the thread then gives
// its stacks straight back to the system.
struct pool_teardown {
    ~pool_teardown() {
        stack_pool_state& p = tls_stack_pool;
        p.gone = true;
        p.hooked = false;
        while (fiber_stack* s = p.free) {
            p.free = s->next;
            --tls_stack_usage.pooled;
            unmap(s);
        }
        p.held = 0;
    }
};

/// Registers the thread-exit teardown (on the first release); false once it has run.
bool hook_pool() noexcept {
    stack_pool_state& p = tls_stack_pool;
    if (p.gone) return false;
    if (!p.hooked) {
        try {
            static thread_local pool_teardown teardown;
            (void)teardown;
        } catch (...) {
            return false;
        }
        p.hooked = true;
    }
    return true;
}

}  // namespace

bool fiber_stacks_guarded() noexcept { return guarded; }

std::size_t fiber_page_size_cache = 0;

std::size_t fiber_page_size_slow() noexcept {
    const auto p = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    __atomic_store_n(&fiber_page_size_cache, p, __ATOMIC_RELAXED);
    return p;
}

fiber_stack* take_pooled_fiber_stack_slow(std::size_t usable) noexcept {
    stack_pool_state& p = tls_stack_pool;
    for (fiber_stack** link = &p.free; *link; link = &(*link)->next) {
        fiber_stack* s = *link;
        if (s->usable != usable) continue;
        *link = s->next;
        p.held -= s->mapped;
        --tls_stack_usage.pooled;
        ++tls_stack_usage.in_use;
        return s;
    }
    return nullptr;
}

fiber_stack* allocate_fiber_stack(std::size_t usable) {
    if (fiber_stack* s = take_pooled_fiber_stack(usable)) return s;
    const std::size_t page = page_size();
    const std::size_t guard = guarded ? page : 0;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#if defined(MAP_NORESERVE)
    flags |= MAP_NORESERVE;
#endif
#if defined(MAP_STACK)
    flags |= MAP_STACK;
#endif
    void* p = ::mmap(nullptr, usable + guard, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    if (guard && ::mprotect(p, guard, PROT_NONE) != 0) {
        ::munmap(p, usable + guard);
        throw std::bad_alloc();
    }
    char* lo = static_cast<char*>(p) + guard;
    const std::size_t stagger = (stagger_next++ % stagger_steps) * stagger_step;
    auto* s = ::new (lo + usable - sizeof(fiber_stack) - stagger) fiber_stack;
    s->base = p;
    s->mapped = usable + guard;
    s->usable_lo = lo;
    s->usable = usable;
    ++tls_stack_usage.in_use;
    ++tls_stack_usage.mapped;
    return s;
}

void release_fiber_stack_slow(fiber_stack* s) noexcept {
    --tls_stack_usage.in_use;
#if defined(COROLLA_ASAN)
    // Frames left by an unwound fiber may leave poisoned bytes behind; the next fiber
    // starts on a clean stack.
    __asan_unpoison_memory_region(s->usable_lo, s->frames_size());
#endif
    stack_pool_state& p = tls_stack_pool;
    if (!hook_pool() || p.held + s->mapped > pool_cap_bytes) {
        unmap(s);
        return;
    }
    s->next = p.free;
    p.free = s;
    p.held += s->mapped;
    ++tls_stack_usage.pooled;
}

}  // namespace detail

fiber_stack_usage fiber_stacks() noexcept { return detail::tls_stack_usage; }

}  // namespace corolla
