#include "stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <vector>

#if defined(COROLLA_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace corolla {

namespace detail {
namespace {

#if !defined(NDEBUG) || defined(COROLLA_ASAN) || defined(COROLLA_TSAN)
constexpr bool guarded = true;
#else
constexpr bool guarded = false;
#endif

// Free stacks kept per thread, by total bytes: enough to make spawn/finish churn free of
// system calls without holding on to memory after a burst.
constexpr std::size_t pool_cap_bytes = std::size_t{64} << 20;

std::size_t page_size() noexcept {
    static const std::size_t p = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return p;
}

thread_local bool pool_gone = false;
thread_local fiber_stack_usage usage{};

void unmap(const fiber_stack& s) noexcept {
    ::munmap(s.base, s.mapped);
    --usage.mapped;
}

class stack_pool {
public:
    ~stack_pool() {
        pool_gone = true;  // a loop outliving this thread's pool unmaps its stacks directly
        for (const auto& s : free_)
            unmap(s);
    }
    bool take(std::size_t usable, fiber_stack& out) noexcept {
        for (auto it = free_.rbegin(); it != free_.rend(); ++it)
            if (it->usable == usable) {
                out = *it;
                free_.erase(std::next(it).base());
                held_ -= out.mapped;
                --usage.pooled;
                return true;
            }
        return false;
    }
    void give(const fiber_stack& s) noexcept {
        if (held_ + s.mapped > pool_cap_bytes) {
            unmap(s);
            return;
        }
        try {
            free_.push_back(s);
            held_ += s.mapped;
            ++usage.pooled;
        } catch (...) {
            unmap(s);
        }
    }

private:
    std::vector<fiber_stack> free_;
    std::size_t held_ = 0;
};

stack_pool& pool() {
    thread_local stack_pool p;
    return p;
}

}  // namespace

bool fiber_stacks_guarded() noexcept { return guarded; }

fiber_stack allocate_fiber_stack(std::size_t usable) {
    const std::size_t page = page_size();
    usable = std::max<std::size_t>((usable + page - 1) / page * page, 4 * page);
    fiber_stack s;
    if (!pool_gone && pool().take(usable, s)) {
        ++usage.in_use;
        return s;
    }
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
    s.base = p;
    s.mapped = usable + guard;
    s.usable_lo = static_cast<char*>(p) + guard;
    s.usable = usable;
    ++usage.in_use;
    ++usage.mapped;
    return s;
}

}  // namespace detail

fiber_stack_usage fiber_stacks() noexcept { return detail::usage; }

namespace detail {

void release_fiber_stack(const fiber_stack& s) noexcept {
    --usage.in_use;
#if defined(COROLLA_ASAN)
    // Frames left by an unwound fiber may leave poisoned bytes behind; the next fiber
    // starts on a clean stack.
    __asan_unpoison_memory_region(s.usable_lo, s.usable);
#endif
    if (pool_gone)
        unmap(s);
    else
        pool().give(s);
}

}  // namespace detail
}  // namespace corolla
