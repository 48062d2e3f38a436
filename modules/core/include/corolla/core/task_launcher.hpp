// task_launcher<R>: how code whose call returns R is run as a task. Each execution style
// specializes it for the kind of code it runs, so that style-free modules (net's servers,
// say) start a caller's handler as a task without naming a style: they call
// launch_task(loop, fn, args...), and the adapter the caller included does the rest.
#pragma once

#include <type_traits>
#include <utility>

namespace corolla {

class event_loop;

/// Specialized by the execution styles: `static auto launch(event_loop&, Fn& fn, A&&...
/// args)` starts fn(args...) as a task on the loop and returns the task<T>. Left
/// undefined for a kind of code no included adapter runs.
template <class R>
struct task_launcher;

/// Starts fn(args...) as a task of the style that runs it; `fn` is copied or called, not
/// kept. Fails to compile, naming the result type, when no adapter for it is included.
template <class Fn, class... A>
auto launch_task(event_loop& loop, Fn& fn, A&&... args) {
    using result = std::invoke_result_t<Fn&, A...>;
    static_assert(
        requires { sizeof(task_launcher<result>); },
        "launch_task: no execution style runs this code; include the adapter for it (a coroutine "
        "function's result needs the coroutine adapter, plain code the stackful one)");
    return task_launcher<result>::launch(loop, fn, std::forward<A>(args)...);
}

}  // namespace corolla
