// The machine part of a fiber: a Boost.Context execution context on a pooled stack, the
// switches into and out of it, and what must travel with a switch (sanitizer fiber
// annotations, the C++ runtime's per-thread exception state). No Boost header leaks out.
#pragma once

#include <cstddef>
#include <string>
#include <typeinfo>

#include <corolla/config.hpp>  // COROLLA_ASAN / COROLLA_TSAN: the library's switch path

namespace corolla {

/// Fiber stacks of the calling thread: in use by fibers, kept in the pool for reuse, and
/// mapped from the system in all (in use + pooled).
struct fiber_stack_usage {
    std::size_t in_use = 0;
    std::size_t pooled = 0;
    std::size_t mapped = 0;
};
fiber_stack_usage fiber_stacks() noexcept;

}  // namespace corolla

namespace corolla::detail {

class task_core;

/// Thrown out of a suspended fiber's await when its task is destroyed without finishing
/// (the loop closed with the fiber suspended): it unwinds the fiber's stack so every
/// destructor runs. Deliberately not a std::exception; code that catches it with
/// `catch (...)` must rethrow it. Every later await in the same fiber throws it again.
struct fiber_unwind {};

/// Per-thread exception-handling state of the C++ runtime (which exceptions are being
/// handled, how many are in flight). Each fiber has its own, so a fiber suspended inside a
/// catch block does not see another fiber's exceptions.
struct eh_state {
    void* caught = nullptr;
    unsigned int uncaught = 0;
#if defined(__ARM_EABI_UNWINDER__)
    void* propagating = nullptr;
#endif
};

/// The C++ runtime's exception state of this thread, asked for once (eh_globals()).
extern thread_local constinit eh_state* tls_eh_globals;
eh_state* eh_globals_slow() noexcept;
[[gnu::always_inline]] inline eh_state& eh_globals() noexcept {
    eh_state* g = tls_eh_globals;
    if (!g) [[unlikely]]
        g = eh_globals_slow();
    return *g;
}

/// What a switch delivers to the context switched to (Boost.Context's transfer_t): the
/// context of the code that switched, suspended, and a data word.
struct fiber_transfer {
    void* fctx;
    void* data;
};

#if defined(__x86_64__) && defined(__ELF__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(COROLLA_FIBER_BOOST_JUMP)
#define COROLLA_FIBER_ASM_JUMP 1
/// Boost.Context's jump_fcontext (x86-64 System V), inlined at the switch and entered
/// without a call: the frame it saves and restores is Boost's (MXCSR and x87 control
/// word, r12-r15, rbx, rbp, the resume address), so it switches to and from contexts
/// suspended by jump_fcontext alike. Without the call the return stack predictor is not
/// left one entry off at every switch, and a switch inlined into the code that yields
/// returns through no frame at all after it: each return that follows a switch and
/// pops the other context's address is a mispredicted branch. The frame goes below the
/// 128-byte red zone the surrounding code may be using. Every register the ABI lets a
/// call clobber is declared clobbered (the other context ran in between).
[[gnu::always_inline]] inline fiber_transfer fiber_jump(void* to, void* data) noexcept {
    register void* rdi asm("rdi") = to;
    register void* rsi asm("rsi") = data;
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
        "movq %%rdi, %%rsp\n\t"
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
        "movq %%rsi, %%rdx\n\t"
        "movq %%rax, %%rdi\n\t"
        "jmp *%%r8\n"
        "1:\n\t"
        "leaq 0x80(%%rsp), %%rsp\n\t"
        : "+r"(rdi), "+r"(rsi), "=r"(rax), "=r"(rdx)
        :
        : "rcx", "r8", "r9", "r10", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
          "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
#if defined(__AVX512F__)
          "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27",
          "xmm28", "xmm29", "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7",
#endif
          "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
    return {rax, rdx};
}
#endif

// Whether this translation unit runs a task fiber's yield inline (the switch in the
// caller's frame): with the inline jump, and not under a sanitizer (whose fiber
// annotations the library's out-of-line switch makes).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COROLLA_FIBER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define COROLLA_FIBER_SANITIZED 1
#endif
#endif
#if defined(COROLLA_FIBER_ASM_JUMP) && !defined(COROLLA_FIBER_SANITIZED) && !defined(COROLLA_ASAN) && \
    !defined(COROLLA_TSAN)
#define COROLLA_FIBER_INLINE_YIELD 1
#endif

class fiber_context;
struct fiber_stack;
/// The fiber running on this thread (fiber_context::current()).
extern thread_local constinit fiber_context* tls_current_fiber;

/// A fiber is a raw Boost.Context execution context (make_fcontext / jump_fcontext) on a
/// pooled stack. A task's fiber that suspends may hand the thread straight to the next
/// fiber whose step is due in the same loop iteration (direct_step::next, core/task.hpp):
/// one context switch instead of two through the loop's stack. The fiber taking over
/// inherits what the first one held of the code that resumed it, and whichever fiber of
/// such a chain suspends to the resumer last, the resumer sees it and ends its step.
class fiber_context {
public:
    using entry_fn = void (*)(void* arg) noexcept;

    /// A fiber that will run entry(arg) on a stack of `stack_size` bytes (rounded up to
    /// pages; 0: the default). `owner` is the task the fiber drives, or null for a fiber
    /// that is not a task (a stackful generator). Nothing is allocated until resume().
    fiber_context(task_core* owner, std::size_t stack_size, entry_fn entry, void* arg) noexcept
        : owner_(owner), entry_(entry), arg_(arg), stack_size_(stack_size) {}
    ~fiber_context() { unwind(); }
    fiber_context(const fiber_context&) = delete;
    fiber_context& operator=(const fiber_context&) = delete;

    /// Switches into the fiber (the first call starts entry(arg)) and returns when it
    /// suspends or its entry returns; true once the entry has returned.
    bool resume();
    /// From inside this fiber: switches back to the code that resumed it (a task's fiber
    /// may switch to the next due fiber step instead, see above). Returns when the fiber
    /// is resumed again; throws fiber_unwind when it is being unwound.
    void suspend();
    /// From inside this task's fiber: queues the task's next step (one loop iteration
    /// later) and suspends; rethrows what that step injects (cancelled_error). Defined in
    /// corolla/fiber/fiber.hpp.
    void yield();
    /// suspend() and yield() out of line (where the switch is not inlined).
    void suspend_out_of_line();
    void yield_out_of_line();
    /// Ends a fiber that is suspended: its pending suspend() throws fiber_unwind (and so
    /// does every later one) until the entry returns. Releases the stack. Idempotent.
    void unwind() noexcept {
        if (started_ && !finished_ && !running_) unwind_suspended();
    }
    /// The owner's step, run by the loop through task_core::run_direct_step when nothing
    /// is to be injected: resumes the fiber (starting it on a pooled stack if it has not
    /// started) with no step machinery around the switch. False, having done nothing,
    /// when the step needs the generic path (a first step with no pooled stack at hand).
    bool run_direct_step() noexcept;

    bool started() const noexcept { return started_; }
    bool finished() const noexcept { return finished_; }
    bool unwinding() const noexcept { return unwinding_; }
    /// The task this fiber drives, or null.
    task_core* owner() const noexcept { return owner_; }
    /// The usable stack size asked for (0: the default).
    std::size_t stack_size() const noexcept { return stack_size_; }

    /// The fiber running on this thread, or null on a thread's own stack.
    static fiber_context* current() noexcept { return tls_current_fiber; }

private:
    struct entry_thunk;
    struct switcher;
    /// For suspend(): marks the owner resumable directly and, within a direct step, takes
    /// the next due fiber step off the loop; returns that fiber (to switch to) or null.
    fiber_context* take_direct_for_suspend() noexcept;
    /// The fiber's side of a switch, inlined (see fiber_jump): to `to`, handed the
    /// thread, or back to the resumer; returns when resumed.
    void leave_inline(fiber_context* to);
    void start(fiber_stack* stack) noexcept;
    void unwind_suspended() noexcept;
    void release_stack() noexcept;

    task_core* owner_;
    entry_fn entry_;
    void* arg_;
    /// A Boost.Context fcontext_t: the fiber's own context while it is suspended, the
    /// context to switch back to (its resumer's) while it runs.
    void* ctx_ = nullptr;
    /// The fiber's stack (its sanitizer bookkeeping is kept there) until the fiber ends.
    fiber_stack* stack_ = nullptr;
    /// The fiber's exception-handling state while it is switched out.
    eh_state eh_{};
    std::size_t stack_size_;
    bool started_ = false;
    bool finished_ = false;
    bool unwinding_ = false;
    bool running_ = false;
    bool direct_step_ = false;  ///< running a step begun directly (it may hand over)
};

#if defined(COROLLA_FIBER_INLINE_YIELD)
inline void fiber_context::leave_inline(fiber_context* to) {
    fiber_transfer tr;
    if (to) {
        // `to` takes over what this fiber holds of its resumer (ctx_, below).
        to->direct_step_ = true;
        running_ = false;
        to->running_ = true;
        tls_current_fiber = to;
        eh_state& g = eh_globals();
        eh_ = g;
        g = to->eh_;
        tr = fiber_jump(to->ctx_, this);
    } else {
        tr = fiber_jump(ctx_, this);
    }
    if (tr.data) {  // handed the thread by another fiber, now suspended at tr.fctx
        auto* from = static_cast<fiber_context*>(tr.data);
        ctx_ = from->ctx_;
        from->ctx_ = tr.fctx;
    } else {
        ctx_ = tr.fctx;
    }
    if (unwinding_) throw fiber_unwind{};
}
#endif

inline void fiber_context::suspend() {
#if defined(COROLLA_FIBER_INLINE_YIELD)
    if (unwinding_) throw fiber_unwind{};
    leave_inline(owner_ ? take_direct_for_suspend() : nullptr);
#else
    suspend_out_of_line();
#endif
}

/// "work(int)" or "main()::{lambda()#1}": a readable name for the callable a fiber runs
/// (`function_address` is the function for a plain function pointer, else null).
std::string describe_callable(const void* function_address, const std::type_info& type);

}  // namespace corolla::detail
