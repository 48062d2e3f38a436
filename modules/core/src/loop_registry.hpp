// Which loops are alive, so an object that outlived its loop (a future destroyed after
// the loop) can tell before reporting to it. Consulted only on rare paths.
#pragma once

#include <corolla/core/event_loop.hpp>

namespace corolla::detail {

void register_live_loop(event_loop* loop);
void unregister_live_loop(event_loop* loop);
/// Calls loop->call_exception_handler(ctx) if `loop` is still alive.
void report_if_alive(event_loop* loop, const exception_context& ctx) noexcept;

}  // namespace corolla::detail
