// Feeding a loop's queue from other threads. A queue, like every loop object, is used
// from its loop's thread; these hand the put to the loop (call_soon_threadsafe) and give
// the calling thread a concurrent_future it may block on (back-pressure: it completes
// once the item is in the queue), poll, cancel, or drop.
//
//     std::thread producer([&] {
//         for (int i = 0; i < n; ++i) corolla::put_threadsafe(loop, q, i).result();
//     });
#pragma once

#include <memory>
#include <utility>

#include <corolla/core/concurrent_future.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/queue/queue.hpp>

namespace corolla {

/// q.put(item) run on `loop` (q's loop) from any thread. The future completes when the
/// item is in the queue, or fails with queue_shut_down (or loop_closed_error at once when
/// the loop is closed). Cancelling it withdraws a put still waiting for room.
template <class T, class Store, class U>
concurrent_future<void> put_threadsafe(event_loop& loop, basic_queue<T, Store>& q, U&& item) {
    auto s = std::make_shared<detail::concurrent_state<void>>(loop);
    loop.call_soon_threadsafe([s, &loop, &q, item = T(std::forward<U>(item))]() mutable {
        s->start_on_loop(s, [&] { return as_future(loop, q.put(std::move(item))); });
    });
    return concurrent_future<void>(std::move(s));
}

}  // namespace corolla
