// sleep(d): a future that completes after `d` on the running loop (asyncio.sleep).
// Cancelling it cancels its timer. sleep(0) (or any non-positive delay) is a plain yield:
// awaited from a task it gives up exactly one loop iteration.
#pragma once

#include <chrono>
#include <type_traits>

#include <corolla/core/clock.hpp>
#include <corolla/core/future.hpp>

namespace corolla {

/// The future returned by sleep(); `is_yield()` for non-positive delays.
class sleep_future : public future<void> {
public:
    sleep_future(future<void> f, bool yield) noexcept : future<void>(std::move(f)), yield_(yield) {}
    bool is_yield() const noexcept { return yield_; }

private:
    bool yield_;
};

/// Completes after `delay` on `loop`.
sleep_future sleep(event_loop& loop, duration delay);
/// Completes after `delay` on the running loop; invalid_state_error if none is running.
sleep_future sleep(duration delay);

template <class Rep, class Period>
sleep_future sleep(std::chrono::duration<Rep, Period> delay) {
    if constexpr (std::is_integral_v<Rep>) {
        if (delay.count() == 0) return sleep(duration::zero());  // the yield, without long double arithmetic
    }
    return sleep(std::chrono::ceil<duration>(std::chrono::duration<long double, Period>(delay)));
}

}  // namespace corolla
