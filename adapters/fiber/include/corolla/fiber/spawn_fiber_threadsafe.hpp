// spawn_fiber_threadsafe: hands a function to an event loop running on another thread, to
// run there as a fiber task (the fiber spelling of run_coroutine_threadsafe). The caller
// gets a concurrent_future it can block on, poll or cancel from its own thread.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include <corolla/core/concurrent_future.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/fiber/fiber.hpp>

namespace corolla {

/// Schedules fn(args...) as a fiber task on `loop` from any thread. Throws
/// loop_closed_error if the loop is closed. Cancelling the returned future before the
/// loop starts the task keeps it from running; afterwards the task is cancelled on the loop.
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
auto spawn_fiber_threadsafe(event_loop& loop, F&& fn, A&&... args) {
    using R = detail::fiber_result_t<F, A...>;
    auto s = std::make_shared<detail::concurrent_state<R>>(loop);
    loop.call_soon_threadsafe([s, &loop, code = as_fiber(std::forward<F>(fn), std::forward<A>(args)...)]() mutable {
        s->start_on_loop(s, [&] { return create_task(loop, std::move(code)); });
    });
    return concurrent_future<R>(std::move(s));
}

}  // namespace corolla
