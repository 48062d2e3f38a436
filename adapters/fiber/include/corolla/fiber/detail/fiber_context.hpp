// The machine part of a fiber: a Boost.Context execution context on a pooled stack, the
// switches into and out of it, and what must travel with a switch (sanitizer fiber
// annotations, the C++ runtime's per-thread exception state). No Boost header leaks out.
#pragma once

#include <cstddef>
#include <string>
#include <typeinfo>

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

class fiber_context {
public:
    using entry_fn = void (*)(void* arg) noexcept;

    /// A fiber that will run entry(arg) on a stack of `stack_size` bytes (rounded up to
    /// pages; 0: the default). `owner` is the task the fiber drives, or null for a fiber
    /// that is not a task (a stackful generator). Nothing is allocated until resume().
    fiber_context(task_core* owner, std::size_t stack_size, entry_fn entry, void* arg) noexcept;
    ~fiber_context();
    fiber_context(const fiber_context&) = delete;
    fiber_context& operator=(const fiber_context&) = delete;

    /// Switches into the fiber (the first call starts entry(arg)) and returns when it
    /// suspends or its entry returns; true once the entry has returned.
    bool resume();
    /// From inside this fiber: switches back to the code that resumed it. Returns when the
    /// fiber is resumed again; throws fiber_unwind when it is being unwound.
    void suspend();
    /// Ends a fiber that is suspended: its pending suspend() throws fiber_unwind (and so
    /// does every later one) until the entry returns. Releases the stack. Idempotent.
    void unwind() noexcept;

    bool started() const noexcept { return started_; }
    bool finished() const noexcept { return finished_; }
    bool unwinding() const noexcept { return unwinding_; }
    /// The task this fiber drives, or null.
    task_core* owner() const noexcept { return owner_; }
    std::size_t stack_size() const noexcept { return stack_size_; }

    /// The fiber running on this thread, or null on a thread's own stack.
    static fiber_context* current() noexcept;

    // --- for the stack allocator ---------------------------------------------------
    void on_stack_allocated(void* lowest_usable, std::size_t usable) noexcept {
        stack_lo_ = lowest_usable;
        stack_usable_ = usable;
    }

private:
    struct entry_thunk;
    void* run_on_fiber(void* caller) noexcept;

    task_core* owner_;
    entry_fn entry_;
    void* arg_;
    std::size_t stack_size_;
    // boost::context::fiber handles (one pointer each), kept opaque here.
    alignas(void*) unsigned char fiber_[sizeof(void*)];   // the fiber, while it is suspended
    alignas(void*) unsigned char caller_[sizeof(void*)];  // the resumer, while the fiber runs
    fiber_context* prev_current_ = nullptr;
    eh_state fiber_eh_{};
    eh_state outer_eh_{};
    // Sanitizer bookkeeping: this fiber's stack, the resumer's stack, fake stacks, TSan fibers.
    void* stack_lo_ = nullptr;
    std::size_t stack_usable_ = 0;
    const void* outer_lo_ = nullptr;
    std::size_t outer_size_ = 0;
    void* outer_fake_ = nullptr;
    void* fiber_fake_ = nullptr;
    void* tsan_fiber_ = nullptr;
    void* tsan_outer_ = nullptr;
    bool started_ = false;
    bool finished_ = false;
    bool unwinding_ = false;
    bool running_ = false;
};

/// The fiber stack size used when neither the fiber nor its loop names one.
std::size_t default_fiber_stack_size() noexcept;

/// "work(int)" or "main()::{lambda()#1}": a readable name for the callable a fiber runs
/// (`function_address` is the function for a plain function pointer, else null).
std::string describe_callable(const void* function_address, const std::type_info& type);

}  // namespace corolla::detail
