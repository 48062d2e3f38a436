// run(main) for fibers: asyncio.run with a plain function as the main task, run on a
// fiber named "main" on a fresh loop. Ctrl+C cancels it; leftover tasks are cancelled and
// awaited; the default executor is drained; the loop is closed (corolla/core/runner.hpp).
//
//     int main() { return corolla::run([] { corolla::this_fiber::sleep(1s); return 0; }); }
#pragma once

#include <concepts>
#include <type_traits>
#include <utility>

#include <corolla/core/runner.hpp>
#include <corolla/fiber/fiber.hpp>

namespace corolla {

/// Runs main() on a fiber of a new loop to completion and returns its result (or throws
/// its exception; keyboard_interrupt when Ctrl+C ended it). The loop is closed on return.
template <class F>
requires std::invocable<F&> &&
    (!detail::coroutine_type<std::invoke_result_t<F&>>)std::invoke_result_t<F&> run(F main, run_options options = {}) {
    using R = std::invoke_result_t<F&>;
    runner r(std::move(options));
    auto t = spawn_fiber(r.get_loop(), fiber_options{"main"}, std::move(main));
    if constexpr (std::is_void_v<R>) {
        r.run(std::move(t));
        r.close();
    } else {
        R value = r.run(std::move(t));
        r.close();
        return value;
    }
}

}  // namespace corolla
