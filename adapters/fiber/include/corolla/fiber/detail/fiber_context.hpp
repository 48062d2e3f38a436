// The machine part of a fiber: a Boost.Context execution context on a pooled stack and
// the switches into and out of it. How a switch is made (the jump, the sanitizer fiber
// annotations, the C++ runtime's exception state it carries) is the fiber library's
// private business (src/context_switch.hpp): no Boost header or machine detail leaks out.
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

/// A fiber's saved copy of the C++ runtime's per-thread exception state while it is
/// switched out (its layout is the fiber library's private business).
struct saved_eh_state {
    void* words[3] = {};
};

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
    /// later) and suspends; rethrows what that step injects (cancelled_error).
    void yield();
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
    saved_eh_state eh_{};
    std::size_t stack_size_;
    bool started_ = false;
    bool finished_ = false;
    bool unwinding_ = false;
    bool running_ = false;
    bool direct_step_ = false;  ///< running a step begun directly (it may hand over)
};

/// The fiber stack size used when neither the fiber nor its loop names one.
std::size_t default_fiber_stack_size() noexcept;

/// "work(int)" or "main()::{lambda()#1}": a readable name for the callable a fiber runs
/// (`function_address` is the function for a plain function pointer, else null).
std::string describe_callable(const void* function_address, const std::type_info& type);

}  // namespace corolla::detail
