#include <corolla/fiber/detail/fiber_context.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <new>
#include <utility>

#include <boost/context/fiber.hpp>

#include "stack_pool.hpp"

#if defined(COROLLA_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(COROLLA_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace corolla::detail {

namespace bctx = boost::context;
static_assert(sizeof(bctx::fiber) == sizeof(void*), "boost::context::fiber is expected to be one handle");

namespace {

thread_local fiber_context* tls_current = nullptr;

bctx::fiber& handle(unsigned char* storage) noexcept { return *std::launder(reinterpret_cast<bctx::fiber*>(storage)); }

/// Exchanges the C++ runtime's per-thread exception state (the stack of exceptions being
/// handled and the count of those in flight) with a saved one. The layout mirrors the
/// runtime's __cxa_eh_globals (libstdc++ and libc++abi agree on it).
void swap_eh(eh_state& save, const eh_state& install) noexcept {
    auto* g = reinterpret_cast<eh_state*>(abi::__cxa_get_globals());
    save = *g;
    *g = install;
}

/// Boost.Context stack allocator over the stack pool; it also tells the fiber where its
/// stack lies (the sanitizers need the extents at every switch).
struct pooled_stack_allocator {
    fiber_context* owner;
    std::size_t size;
    fiber_stack stack{};

    bctx::stack_context allocate() {
        stack = allocate_fiber_stack(size);
        owner->on_stack_allocated(stack.usable_lo, stack.usable);
        bctx::stack_context sc;
        sc.size = stack.usable;
        sc.sp = static_cast<char*>(stack.usable_lo) + stack.usable;
        return sc;
    }
    void deallocate(bctx::stack_context&) noexcept { release_fiber_stack(stack); }
};

}  // namespace

struct fiber_context::entry_thunk {
    static bctx::fiber run(fiber_context* self, bctx::fiber&& caller) noexcept {
        ::new (static_cast<void*>(self->caller_)) bctx::fiber(std::move(caller));
#if defined(COROLLA_ASAN)
        __sanitizer_finish_switch_fiber(nullptr, &self->outer_lo_, &self->outer_size_);
#endif
        self->entry_(self->arg_);
        bctx::fiber back = std::move(handle(self->caller_));
        handle(self->caller_).~fiber();
#if defined(COROLLA_ASAN)
        __sanitizer_start_switch_fiber(nullptr, self->outer_lo_, self->outer_size_);  // this stack ends
#endif
#if defined(COROLLA_TSAN)
        __tsan_switch_to_fiber(self->tsan_outer_, 0);
#endif
        return back;
    }
};

fiber_context::fiber_context(task_core* owner, std::size_t stack_size, entry_fn entry, void* arg) noexcept
    : owner_(owner), entry_(entry), arg_(arg), stack_size_(stack_size ? stack_size : default_fiber_stack_size()) {}

fiber_context::~fiber_context() { unwind(); }

fiber_context* fiber_context::current() noexcept { return tls_current; }

bool fiber_context::resume() {
    if (finished_) return true;
    if (running_) std::abort();  // a fiber cannot resume itself; the task machinery never does
    if (!started_) {
        ::new (static_cast<void*>(fiber_))
            bctx::fiber(std::allocator_arg, pooled_stack_allocator{this, stack_size_},
                        [this](bctx::fiber&& caller) { return entry_thunk::run(this, std::move(caller)); });
        started_ = true;
#if defined(COROLLA_TSAN)
        tsan_fiber_ = __tsan_create_fiber(0);
#endif
    }
    prev_current_ = tls_current;
    tls_current = this;
    running_ = true;
    swap_eh(outer_eh_, fiber_eh_);
#if defined(COROLLA_ASAN)
    __sanitizer_start_switch_fiber(&outer_fake_, stack_lo_, stack_usable_);
#endif
#if defined(COROLLA_TSAN)
    tsan_outer_ = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
    handle(fiber_) = std::move(handle(fiber_)).resume();
#if defined(COROLLA_ASAN)
    __sanitizer_finish_switch_fiber(outer_fake_, nullptr, nullptr);
#endif
    swap_eh(fiber_eh_, outer_eh_);
    running_ = false;
    tls_current = prev_current_;
    if (!handle(fiber_)) {  // the entry returned; Boost has released the stack
        finished_ = true;
        handle(fiber_).~fiber();
#if defined(COROLLA_TSAN)
        __tsan_destroy_fiber(tsan_fiber_);
        tsan_fiber_ = nullptr;
#endif
    }
    return finished_;
}

void fiber_context::suspend() {
    if (unwinding_) throw fiber_unwind{};
#if defined(COROLLA_ASAN)
    __sanitizer_start_switch_fiber(&fiber_fake_, outer_lo_, outer_size_);
#endif
#if defined(COROLLA_TSAN)
    __tsan_switch_to_fiber(tsan_outer_, 0);
#endif
    handle(caller_) = std::move(handle(caller_)).resume();
#if defined(COROLLA_ASAN)
    __sanitizer_finish_switch_fiber(fiber_fake_, &outer_lo_, &outer_size_);
#endif
    if (unwinding_) throw fiber_unwind{};
}

void fiber_context::unwind() noexcept {
    if (!started_ || finished_ || running_) return;
    unwinding_ = true;
    while (!finished_)
        resume();  // noexcept context: a failure here terminates
}

std::size_t default_fiber_stack_size() noexcept {
#if defined(COROLLA_ASAN) || defined(COROLLA_TSAN)
    return std::size_t{512} << 10;  // sanitizer frames are several times larger
#else
    return std::size_t{128} << 10;
#endif
}

}  // namespace corolla::detail
