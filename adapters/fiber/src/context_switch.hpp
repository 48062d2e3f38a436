// How a fiber switch is made, private to the fiber library: the jump between two
// Boost.Context contexts (Boost's own jump_fcontext, or the same frame inlined at the
// switch on x86-64), and the C++ runtime's per-thread exception state that travels with
// every switch. COROLLA_FIBER_BOOST_JUMP selects the portable path everywhere.
#pragma once

#include <boost/context/detail/fcontext.hpp>

#include <corolla/config.hpp>  // COROLLA_ASAN / COROLLA_TSAN: the switches annotate for them
#include <corolla/fiber/detail/fiber_context.hpp>

namespace corolla::detail {

namespace bcd = boost::context::detail;

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
[[gnu::always_inline]] inline bcd::transfer_t fiber_jump(void* to, void* data) noexcept {
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

static_assert(sizeof(eh_state) <= sizeof(saved_eh_state) && alignof(eh_state) <= alignof(saved_eh_state));

inline eh_state& saved(saved_eh_state& s) noexcept { return *reinterpret_cast<eh_state*>(&s); }

#if defined(COROLLA_FIBER_ASM_JUMP)
[[gnu::always_inline]] inline bcd::transfer_t jump(bcd::fcontext_t to, void* data) noexcept {
    return fiber_jump(to, data);
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

}  // namespace corolla::detail
