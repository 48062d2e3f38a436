#include <corolla/fiber/detail/fiber_context.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <utility>

#include <boost/context/detail/fcontext.hpp>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/task.hpp>
#include <corolla/fiber/fiber.hpp>

#include "stack_pool.hpp"

#if defined(COROLLA_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(COROLLA_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace corolla::detail {

namespace bcd = boost::context::detail;

thread_local constinit fiber_context* tls_current_fiber = nullptr;

thread_local constinit eh_state* tls_eh_globals = nullptr;

// The C++ runtime's per-thread exception-handling state (the stack of exceptions being
// handled and the count of those in flight), as a fiber switch exchanges it. Its address
// is fixed for the thread's life, so it is asked for once per thread (a call into the
// runtime and a TLS lookup in a shared library) rather than at every switch. The layout
// mirrors the runtime's __cxa_eh_globals (libstdc++ and libc++abi agree on it).
eh_state* eh_globals_slow() noexcept { return tls_eh_globals = reinterpret_cast<eh_state*>(abi::__cxa_get_globals()); }

namespace {

#if defined(COROLLA_FIBER_ASM_JUMP)
[[gnu::always_inline]] inline bcd::transfer_t jump(bcd::fcontext_t to, void* data) noexcept {
    const fiber_transfer t = fiber_jump(to, data);
    return {t.fctx, t.data};
}

/// The first switch into a fiber: saves the caller's context as jump() does, then runs
/// fn(transfer_t{caller, data}) on the fresh stack below `top`, entered with a jump (fn
/// never returns) rather than through a frame make_fcontext prepares.
[[gnu::always_inline]] inline bcd::transfer_t start_jump(void* top, void* data, void (*fn)(bcd::transfer_t)) noexcept {
    register void* rdi asm("rdi") = top;
    register void* rsi asm("rsi") = data;
    register void* rcx asm("rcx") = reinterpret_cast<void*>(fn);
    register void* rax asm("rax");
    register void* rdx asm("rdx");
    asm volatile(
        "leaq -0xc8(%%rsp), %%rsp\n\t"
        "stmxcsr (%%rsp)\n\t"
        "fnstcw 0x4(%%rsp)\n\t"
        "movq %%r12, 0x10(%%rsp)\n\t"
        "movq %%r13, 0x18(%%rsp)\n\t"
        "movq %%r14, 0x20(%%rsp)\n\t"
        "movq %%r15, 0x28(%%rsp)\n\t"
        "movq %%rbx, 0x30(%%rsp)\n\t"
        "movq %%rbp, 0x38(%%rsp)\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "movq %%rax, 0x40(%%rsp)\n\t"
        "movq %%rsp, %%rax\n\t"
        "andq $-16, %%rdi\n\t"
        "movq %%rdi, %%rsp\n\t"
        "movq %%rax, %%rdi\n\t"
        "xorl %%ebp, %%ebp\n\t"  // the outermost frame
        "pushq $0\n\t"           // as if called, from nowhere (ends backtraces)
        "jmp *%%rcx\n"
        "1:\n\t"
        "leaq 0x80(%%rsp), %%rsp\n\t"
        : "+r"(rdi), "+r"(rsi), "+r"(rcx), "=r"(rax), "=r"(rdx)
        :
        : "r8", "r9", "r10", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
#if defined(__AVX512F__)
          "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27",
          "xmm28", "xmm29", "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7",
#endif
          "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
    return {rax, rdx};
}
#define COROLLA_FIBER_START_JUMP 1

/// The last switch out of a fiber whose entry has returned: its context is never
/// resumed, so nothing of it is saved; only `to` is restored (as jump() does).
[[noreturn, gnu::always_inline]] inline void final_jump(bcd::fcontext_t to, void* data) noexcept {
    asm volatile(
        // Inputs first: their registers may be among those restored below.
        "movq %[data], %%rdx\n\t"
        "movq %[data], %%rsi\n\t"
        "movq %%rsp, %%rax\n\t"  // (the fiber's context: for the record only, never resumed)
        "movq %[to], %%rsp\n\t"
        "movq 0x40(%%rsp), %%r8\n\t"
        "ldmxcsr (%%rsp)\n\t"
        "fldcw 0x4(%%rsp)\n\t"
        "movq 0x10(%%rsp), %%r12\n\t"
        "movq 0x18(%%rsp), %%r13\n\t"
        "movq 0x20(%%rsp), %%r14\n\t"
        "movq 0x28(%%rsp), %%r15\n\t"
        "movq 0x30(%%rsp), %%rbx\n\t"
        "movq 0x38(%%rsp), %%rbp\n\t"
        "leaq 0x48(%%rsp), %%rsp\n\t"
        "movq %%rax, %%rdi\n\t"
        "jmp *%%r8\n\t"
        :
        : [to] "r"(to), [data] "r"(data)
        : "rax", "rdx", "rsi", "rdi", "r8", "memory");
    __builtin_unreachable();
}
#else
[[gnu::always_inline]] inline bcd::transfer_t jump(bcd::fcontext_t to, void* data) noexcept {
    return bcd::jump_fcontext(to, data);
}
#endif

}  // namespace

struct fiber_context::entry_thunk {
    [[noreturn]] static void run(bcd::transfer_t t) noexcept {
        auto* self = static_cast<fiber_context*>(t.data);
        self->ctx_ = t.fctx;
#if defined(COROLLA_ASAN)
        __sanitizer_finish_switch_fiber(nullptr, &self->stack_->outer_lo, &self->stack_->outer_size);
#endif
        self->entry_(self->arg_);
        // The fiber ends: back to its (latest) resumer for good, which releases this stack.
        self->finished_ = true;
#if defined(COROLLA_ASAN)
        __sanitizer_start_switch_fiber(nullptr, self->stack_->outer_lo, self->stack_->outer_size);  // this stack ends
#endif
#if defined(COROLLA_TSAN)
        __tsan_switch_to_fiber(self->stack_->tsan_outer, 0);
#endif
#if defined(COROLLA_FIBER_START_JUMP)
        final_jump(self->ctx_, self);
#else
        jump(self->ctx_, self);
        std::abort();  // never resumed
#endif
    }
};

// The switches themselves, inlined into each caller so that a switch has no call frames
// of its own to return through (each costs a mispredicted return after a context switch).
//
// ctx_ holds the fiber's own context while it is suspended and its resumer's while it
// runs. What the resumer must get back (its exception state, the running fiber) stays in
// its own frame; a fiber handing the thread to another passes on its resumer's context
// and sanitizer bookkeeping, and whichever fiber switches back last is reported to the
// resumer by the switch itself (the data word of the jump names the fiber that jumped:
// null from the resumer, else the fiber to resume later).
struct fiber_context::switcher {
    /// The resumer's side: switches into `f` (started; `data` is f itself on the first
    /// switch) and returns the fiber that switched back, after releasing its stack if its
    /// entry has returned.
    [[gnu::always_inline]] static fiber_context* enter(fiber_context& f, void* first) noexcept {
        fiber_context* const prev = tls_current_fiber;
        tls_current_fiber = &f;
        f.running_ = true;
        eh_state& g = eh_globals();
        const eh_state outer = g;
        g = f.eh_;
#if defined(COROLLA_ASAN)
        void* fake = nullptr;
        __sanitizer_start_switch_fiber(&fake, f.stack_->usable_lo, f.stack_->frames_size());
#endif
#if defined(COROLLA_TSAN)
        f.stack_->tsan_outer = __tsan_get_current_fiber();
        __tsan_switch_to_fiber(f.stack_->tsan_fiber, 0);
#endif
#if defined(COROLLA_FIBER_START_JUMP)
        const bcd::transfer_t t = first ? start_jump(f.stack_->top(), first, &entry_thunk::run) : jump(f.ctx_, nullptr);
#else
        const bcd::transfer_t t = jump(f.ctx_, first);
#endif
#if defined(COROLLA_ASAN)
        __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
        auto* last = static_cast<fiber_context*>(t.data);
        eh_state& g2 = eh_globals();
        last->eh_ = g2;
        g2 = outer;
        last->running_ = false;
        tls_current_fiber = prev;
        if (last->finished_) [[unlikely]]
            last->release_stack();
        else
            last->ctx_ = t.fctx;
        return last;
    }

    /// The fiber's side: switches back to the resumer, or hands the thread to `to` (a
    /// suspended fiber whose step the loop has handed over), and returns when resumed.
    [[gnu::always_inline]] static void leave(fiber_context& f, fiber_context* to) {
        bcd::transfer_t t;
        if (to) {
            direct_step::take(*to->owner_);
            to->direct_step_ = true;
#if defined(COROLLA_ASAN)
            to->stack_->outer_lo = f.stack_->outer_lo;
            to->stack_->outer_size = f.stack_->outer_size;
#endif
#if defined(COROLLA_TSAN)
            to->stack_->tsan_outer = f.stack_->tsan_outer;
#endif
            f.running_ = false;
            to->running_ = true;
            tls_current_fiber = to;
            eh_state& g = eh_globals();
            f.eh_ = g;
            g = to->eh_;
#if defined(COROLLA_ASAN)
            __sanitizer_start_switch_fiber(&f.stack_->fake, to->stack_->usable_lo, to->stack_->frames_size());
#endif
#if defined(COROLLA_TSAN)
            __tsan_switch_to_fiber(to->stack_->tsan_fiber, 0);
#endif
            t = jump(to->ctx_, &f);
        } else {
#if defined(COROLLA_ASAN)
            __sanitizer_start_switch_fiber(&f.stack_->fake, f.stack_->outer_lo, f.stack_->outer_size);
#endif
#if defined(COROLLA_TSAN)
            __tsan_switch_to_fiber(f.stack_->tsan_outer, 0);
#endif
            t = jump(f.ctx_, &f);
        }
        if (t.data) {
            // Handed the thread by another fiber, now suspended at t.fctx: take over its
            // resumer's context (the sanitizer part came with the switch).
            auto* from = static_cast<fiber_context*>(t.data);
#if defined(COROLLA_ASAN)
            __sanitizer_finish_switch_fiber(f.stack_->fake, nullptr, nullptr);
#endif
            f.ctx_ = from->ctx_;
            from->ctx_ = t.fctx;
        } else {
#if defined(COROLLA_ASAN)
            __sanitizer_finish_switch_fiber(f.stack_->fake, &f.stack_->outer_lo, &f.stack_->outer_size);
#endif
            f.ctx_ = t.fctx;
        }
        if (f.unwinding_) throw fiber_unwind{};
    }

    /// leave() for a suspending fiber: a task's fiber marks itself resumable directly and,
    /// within a step begun directly, switches to the next due fiber step if there is one.
    [[gnu::always_inline]] static void suspend(fiber_context& f) {
        if (f.unwinding_) throw fiber_unwind{};
        fiber_context* to = nullptr;
        if (task_core* t = f.owner_) {
            direct_step::offer(*t, &f);
            if (f.direct_step_)
                if (task_core* next = direct_step::next(*t)) to = static_cast<fiber_context*>(direct_step::take(*next));
        }
        leave(f, to);
    }

    /// suspend() after queueing the task's next step (one call into the loop for both).
    [[gnu::always_inline]] static void yield(fiber_context& f) {
        if (f.unwinding_) throw fiber_unwind{};
        task_core* t = f.owner_;
        task_core* next = direct_step::yield(*t, f.direct_step_);
        direct_step::offer(*t, &f);
        leave(f, next ? static_cast<fiber_context*>(direct_step::take(*next)) : nullptr);
    }
};

void fiber_context::start(fiber_stack* stack) noexcept {
    stack_ = stack;
#if !defined(COROLLA_FIBER_START_JUMP)
    ctx_ = bcd::make_fcontext(stack->top(), stack->frames_size(), &entry_thunk::run);
#endif
    started_ = true;
#if defined(COROLLA_TSAN)
    stack->tsan_fiber = __tsan_create_fiber(0);
#endif
}

void fiber_context::release_stack() noexcept {
#if defined(COROLLA_TSAN)
    __tsan_destroy_fiber(stack_->tsan_fiber);
    stack_->tsan_fiber = nullptr;
#endif
    release_fiber_stack(std::exchange(stack_, nullptr));
    ctx_ = nullptr;
}

bool fiber_context::resume() {
    if (finished_) return true;
    if (running_) std::abort();  // a fiber cannot resume itself; the task machinery never does
    void* data = nullptr;
    if (!started_) {
        start(allocate_fiber_stack(fiber_stack_bytes(stack_size_)));
        data = this;  // tells the entry thunk which fiber it starts
    }
    if (owner_) direct_step::take(*owner_);
    direct_step_ = false;
    switcher::enter(*this, data);  // nothing hands over outside a direct step: it comes back here
    return finished_;
}

bool fiber_context::run_direct_step() noexcept {
    void* data = nullptr;
    if (!started_) [[unlikely]] {
        fiber_stack* s = take_pooled_fiber_stack(fiber_stack_bytes(stack_size_));
        if (!s) return false;  // mapping one may fail: the generic step reports that
        start(s);
        data = this;
    } else if (!direct_step::offered(*owner_)) [[unlikely]] {
        return false;
    }
    task_core* prev = direct_step::begin(*owner_);
    direct_step_ = true;
    fiber_context* last = switcher::enter(*this, data);
    direct_step::end(*last->owner_, last->finished_, prev);
    return true;
}

void fiber_context::suspend_out_of_line() { switcher::suspend(*this); }

fiber_context* fiber_context::take_direct_for_suspend() noexcept {
    task_core* t = owner_;
    direct_step::offer(*t, this);
    if (!direct_step_) return nullptr;
    task_core* next = direct_step::next(*t);
    return next ? static_cast<fiber_context*>(direct_step::take(*next)) : nullptr;
}

void fiber_context::yield_out_of_line() {
    switcher::yield(*this);
    rethrow_injected();
}

void fiber_context::unwind_suspended() noexcept {
    unwinding_ = true;
    while (!finished_)
        resume();  // noexcept context: a failure here terminates
}

std::size_t fiber_default_stack_request = 0;

}  // namespace corolla::detail

namespace corolla {

std::size_t default_fiber_stack_size() noexcept { return detail::fiber_stack_bytes(0); }

void set_default_fiber_stack_size(std::size_t bytes) noexcept {
    __atomic_store_n(&detail::fiber_default_stack_request, bytes, __ATOMIC_RELAXED);
}

}  // namespace corolla

namespace corolla::detail {}  // namespace corolla::detail
