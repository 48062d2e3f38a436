// Hand-written floors for the fiber benchmarks: raw boost::context::fiber contexts driven
// from the thread's own stack, with no loop, no task, no future and no cancellation. They
// show what the context switch and the stack cost by themselves, so corolla's ratio to
// them is the price of running fibers as tasks on its loop.
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>

#include "support/bench_support.hpp"

namespace corolla::bench {
namespace {

namespace ctx = boost::context;

// --- fiber_switch ----------------------------------------------------------------------

/// A fiber that hands the thread back to whoever resumed it, `yields` times, then ends.
ctx::fiber yielder(std::size_t yields) {
    return ctx::fiber{std::allocator_arg, ctx::fixedsize_stack{default_fiber_stack}, [yields](ctx::fiber&& back) {
                          for (std::size_t i = 0; i < yields; ++i)
                              back = std::move(back).resume();
                          return std::move(back);
                      }};
}

// The thread's own context resumes two fibers in turn and each jumps straight back: one
// resume pair (thread -> fiber -> thread) per switch, the two jumps a corolla fiber switch
// makes (fiber -> loop -> the other fiber), with nothing in between.
void floor_fiber_switch(benchmark::State& state, std::size_t switches) {
    const std::size_t yields = switches / 2;
    auto round = [&] {
        ctx::fiber a = yielder(yields);
        ctx::fiber b = yielder(yields);
        for (std::size_t i = 0; i <= yields; ++i) {
            a = std::move(a).resume();
            b = std::move(b).resume();
        }
        return !a && !b;  // both ended
    };
    if (!round()) state.SkipWithError("the fibers did not end");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("the fibers did not end");
            break;
        }
    set_batch(state, 2 * yields);
}

// --- fiber_spawn -----------------------------------------------------------------------

/// One stack mapped up front and lent to every fiber in turn (a pool of one): the floor of
/// a pooled stack.
class reused_stack {
public:
    explicit reused_stack(std::size_t size) : size_(size) {
        base_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base_ == MAP_FAILED) throw std::bad_alloc();
    }
    ~reused_stack() { ::munmap(base_, size_); }
    reused_stack(const reused_stack&) = delete;
    reused_stack& operator=(const reused_stack&) = delete;

    struct allocator {
        reused_stack* owner;
        ctx::stack_context allocate() {
            ctx::stack_context sc;
            sc.size = owner->size_;
            sc.sp = static_cast<char*>(owner->base_) + owner->size_;
            return sc;
        }
        void deallocate(ctx::stack_context&) noexcept {}
    };
    allocator lend() noexcept { return {this}; }

private:
    void* base_;
    std::size_t size_;
};

// `n` fibers, each created on the reused stack and resumed once, running to its end (the
// same lazily-stacked, run-to-completion life as corolla's spawned fibers, minus the task).
void floor_fiber_spawn(benchmark::State& state, std::size_t n) {
    reused_stack stack{default_fiber_stack};
    std::size_t finished = 0;
    auto round = [&] {
        finished = 0;
        for (std::size_t i = 0; i < n; ++i) {
            ctx::fiber f{std::allocator_arg, stack.lend(), [&finished](ctx::fiber&& back) {
                             ++finished;
                             return std::move(back);
                         }};
            f = std::move(f).resume();
        }
        return finished == n;
    };
    if (!round()) state.SkipWithError("not every fiber ran");
    for (auto _ : state)
        if (!round()) {
            state.SkipWithError("not every fiber ran");
            break;
        }
    set_batch(state, n);
}

// --- idle_fiber_memory -----------------------------------------------------------------

/// Each fiber its own mapping, as corolla's stack pool maps them (no guard page in release
/// builds; pages are backed only once touched).
struct mapped_stack {
    std::size_t size;
    ctx::stack_context allocate() {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#if defined(MAP_NORESERVE)
        flags |= MAP_NORESERVE;
#endif
#if defined(MAP_STACK)
        flags |= MAP_STACK;
#endif
        void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        ctx::stack_context sc;
        sc.size = size;
        sc.sp = static_cast<char*>(p) + size;
        return sc;
    }
    void deallocate(ctx::stack_context& sc) noexcept { ::munmap(static_cast<char*>(sc.sp) - sc.size, sc.size); }
};

/// A minimal timer heap of parked fibers: (deadline, suspended fiber), earliest on top.
using parked_fiber = std::pair<std::int64_t, ctx::fiber>;
struct later_first {
    bool operator()(const parked_fiber& a, const parked_fiber& b) const noexcept { return a.first > b.first; }
};

}  // namespace

void floor_idle_fibers_child(std::size_t n, std::size_t stack) {
    std::vector<parked_fiber> heap;
    const std::size_t before = resident_bytes();
    const double cpu0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t deadline =
        std::chrono::duration_cast<std::chrono::nanoseconds>((t0 + std::chrono::hours(1)).time_since_epoch()).count();
    for (std::size_t i = 0; i < n; ++i) {
        // The fiber starts, and parks by jumping back; what comes back is its suspended self.
        ctx::fiber f{std::allocator_arg, mapped_stack{stack}, [](ctx::fiber&& back) {
                         back = std::move(back).resume();  // resumed once the deadline passes
                         return std::move(back);
                     }};
        heap.emplace_back(deadline, std::move(f).resume());
        std::push_heap(heap.begin(), heap.end(), later_first{});
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - cpu0;
    const bool all_parked = std::all_of(heap.begin(), heap.end(), [](const parked_fiber& p) { return bool(p.second); });
    if (heap.size() != n || !all_parked) {
        std::fprintf(stderr, "floor idle fibers: %zu parked, expected %zu\n", heap.size(), n);
        std::exit(1);
    }
    exit_with_sample({wall, cpu, static_cast<double>(resident_bytes()) - static_cast<double>(before)});
}

void register_floor_fibers(const bench_sizes& sizes) {
    benchmark::RegisterBenchmark(bench_name("fiber_switch", "floor").c_str(), floor_fiber_switch, sizes.fiber_switches)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(bench_name("fiber_spawn", "floor").c_str(), floor_fiber_spawn, sizes.fiber_count)
        ->Unit(benchmark::kMillisecond);
}

void register_floor_idle_fibers(const bench_sizes& sizes) {
    register_child_memory("idle_fiber_memory", "floor",
                          idle_memory_child_argv("floor", sizes.idle_fibers, {std::to_string(default_fiber_stack)}),
                          sizes.idle_fibers, "fiber");
    register_child_memory("idle_fiber_memory_small", "floor",
                          idle_memory_child_argv("floor", sizes.idle_fibers, {std::to_string(small_fiber_stack)}),
                          sizes.idle_fibers, "fiber");
}

}  // namespace corolla::bench
