// Fiber stacks: mapped once, reused through a per-thread pool, released past a cap. Each
// stack carries a record at its top: the pool links free stacks through it, and the
// fiber running on the stack keeps its sanitizer bookkeeping there, so neither needs an
// allocation of its own. Taking a pooled stack of the usual size and giving one back are
// a few instructions, inline.
#pragma once

#include <cstddef>

#include <corolla/config.hpp>  // COROLLA_ASAN / COROLLA_TSAN
#include <corolla/fiber/detail/fiber_context.hpp>

namespace corolla::detail {

struct alignas(64) fiber_stack {
    fiber_stack* next = nullptr;  ///< the next free stack, while pooled
    void* base = nullptr;         ///< start of the mapping (the guard page, if any)
    std::size_t mapped = 0;       ///< bytes mapped
    void* usable_lo = nullptr;    ///< lowest usable byte
    std::size_t usable = 0;       ///< usable bytes from usable_lo up (this record included): the pool's key
    // The fiber on this stack, for the sanitizers: the stack of the code that resumed it,
    // its fake stack while switched out (ASan), its TSan fibers.
    const void* outer_lo = nullptr;
    std::size_t outer_size = 0;
    void* fake = nullptr;
    void* tsan_fiber = nullptr;
    void* tsan_outer = nullptr;

    /// Where the fiber's frames start: just below this record.
    void* top() noexcept { return this; }
    /// Bytes from usable_lo to top().
    std::size_t frames_size() const noexcept {
        return static_cast<std::size_t>(reinterpret_cast<const char*>(this) - static_cast<const char*>(usable_lo));
    }
};

/// The calling thread's pool (the free stacks, most recently released first).
struct stack_pool_state {
    fiber_stack* free = nullptr;
    std::size_t held = 0;  ///< bytes mapped by the free stacks
    bool hooked = false;   ///< the thread-exit teardown is registered
    bool gone = false;     ///< torn down at thread exit: stacks go straight back to the system
};
extern thread_local constinit stack_pool_state tls_stack_pool;
extern thread_local constinit fiber_stack_usage tls_stack_usage;

std::size_t fiber_page_size_slow() noexcept;
extern std::size_t fiber_page_size_cache;  ///< 0 until first asked (then the system's page size)

/// The stack size set_default_fiber_stack_size() chose (0: the built-in default).
extern std::size_t fiber_default_stack_request;

/// The usable bytes of a fiber's stack: `requested` (0: default_fiber_stack_size())
/// rounded up to whole pages, at least four.
inline std::size_t fiber_stack_bytes(std::size_t requested) noexcept {
    std::size_t page = __atomic_load_n(&fiber_page_size_cache, __ATOMIC_RELAXED);
    if (!page) [[unlikely]]
        page = fiber_page_size_slow();
    if (!requested) requested = __atomic_load_n(&fiber_default_stack_request, __ATOMIC_RELAXED);
    if (!requested) {
#if defined(COROLLA_ASAN) || defined(COROLLA_TSAN)
        requested = std::size_t{512} << 10;  // sanitizer frames are several times larger
#else
        requested = std::size_t{128} << 10;
#endif
    }
    const std::size_t bytes = (requested + page - 1) & ~(page - 1);
    return bytes < 4 * page ? 4 * page : bytes;
}

fiber_stack* take_pooled_fiber_stack_slow(std::size_t usable) noexcept;

/// A pooled stack of `usable` bytes (as fiber_stack_bytes rounds), or null. Never maps.
inline fiber_stack* take_pooled_fiber_stack(std::size_t usable) noexcept {
    stack_pool_state& p = tls_stack_pool;
    fiber_stack* s = p.free;
    if (!s) return nullptr;
    if (s->usable != usable) [[unlikely]]
        return take_pooled_fiber_stack_slow(usable);
    p.free = s->next;
    p.held -= s->mapped;
    fiber_stack_usage& u = tls_stack_usage;
    --u.pooled;
    ++u.in_use;
    return s;
}

/// A stack of `usable` bytes (as fiber_stack_bytes rounds): pooled, or newly mapped.
/// Throws std::bad_alloc when the system refuses the mapping.
fiber_stack* allocate_fiber_stack(std::size_t usable);

void release_fiber_stack_slow(fiber_stack* s) noexcept;

/// Gives a stack back to this thread's pool (or to the system past the pool's cap).
inline void release_fiber_stack(fiber_stack* s) noexcept {
#if defined(COROLLA_ASAN)
    release_fiber_stack_slow(s);  // unpoisons what the fiber's frames left behind
#else
    stack_pool_state& p = tls_stack_pool;
    if (!p.hooked || p.held + s->mapped > (std::size_t{64} << 20)) [[unlikely]] {
        release_fiber_stack_slow(s);
        return;
    }
    s->next = p.free;
    p.free = s;
    p.held += s->mapped;
    fiber_stack_usage& u = tls_stack_usage;
    --u.in_use;
    ++u.pooled;
#endif
}

/// Whether stacks get a no-access guard page below them (debug and sanitizer builds).
bool fiber_stacks_guarded() noexcept;

}  // namespace corolla::detail
