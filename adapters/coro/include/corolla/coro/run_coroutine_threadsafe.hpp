// run_coroutine_threadsafe: hands a coroutine to an event loop running on another thread
// (asyncio.run_coroutine_threadsafe). The caller gets a concurrent_future it can block
// on, poll or cancel from its own thread.
#pragma once

#include <memory>
#include <utility>

#include <corolla/core/concurrent_future.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

namespace corolla {

/// Schedules `c` as a task on `loop` from any thread. Throws loop_closed_error if the
/// loop is closed. Cancelling the returned future before the loop starts the task keeps
/// it from running; afterwards the task is cancelled on the loop.
template <class T>
concurrent_future<T> run_coroutine_threadsafe(coro<T> c, event_loop& loop, std::string name = {}) {
    if (!c) throw std::invalid_argument("run_coroutine_threadsafe: empty coro");
    auto s = std::make_shared<detail::concurrent_state<T>>(loop);
    loop.call_soon_threadsafe([s, &loop, c = std::move(c), name = std::move(name)]() mutable {
        s->start_on_loop(s, [&] { return create_task(loop, std::move(c), std::move(name)); });
    });
    return concurrent_future<T>(std::move(s));
}

}  // namespace corolla
