// run(main): asyncio.run for coroutines. A fresh loop runs `main` as the task named
// "main"; Ctrl+C cancels it; leftover tasks are cancelled and awaited; the default
// executor is drained; the loop is closed. See corolla/core/runner.hpp.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include <corolla/core/runner.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

namespace corolla {

/// Runs `main` to completion on a new loop and returns its result (or throws its
/// exception; keyboard_interrupt when Ctrl+C ended it). The loop is closed on return.
/// Throws loop_running_error when called from a running loop.
template <class T>
T run(coro<T> main, run_options options = {}) {
    runner r(std::move(options));
    auto t = create_task(r.get_loop(), std::move(main), "main");
    if constexpr (std::is_void_v<T>) {
        r.run(std::move(t));
        r.close();
    } else {
        T value = r.run(std::move(t));
        r.close();
        return value;
    }
}

}  // namespace corolla
