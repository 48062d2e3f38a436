#include <corolla/sync/semaphore.hpp>

#include <string>
#include <utility>

#include <corolla/core/errors.hpp>

namespace corolla {

semaphore::semaphore(std::int64_t value) : semaphore(value, false) {}

semaphore::semaphore(std::int64_t value, bool bounded) : value_(value), bound_(bounded ? value : -1) {
    if (value < 0) throw value_error("semaphore: the initial value must be >= 0, got " + std::to_string(value));
}

semaphore::~semaphore() {
    waiters_.fail_all(
        std::make_exception_ptr(invalid_state_error("the semaphore was destroyed while tasks waited for it")));
}

void semaphore::release() {
    if (bound_ >= 0 && value_ >= bound_) throw value_error("bounded_semaphore released too many times");
    hand_over();
}

detail::intrusive_ptr<detail::waiter> semaphore::line_up(event_loop& loop) {
    binding_.bind(loop, "semaphore");
    auto w = detail::make_waiter(loop);
    waiters_.push_back(*w);
    return w;
}

void semaphore::hand_over() noexcept {
    if (detail::waiter* w = waiters_.pop_front()) {
        ++granted_;
        w->set_result();
    } else {
        ++value_;
    }
}

void semaphore::give_back() noexcept {
    // Cannot throw: the permit handed over here is not back yet, so a bound holds.
    --granted_;
    hand_over();
}

void semaphore::took_grant() noexcept {
    --granted_;
    // Permits released while this waiter was on its way stayed in the count, since
    // acquire() had to line up behind it: they go to those who did, in order (asyncio's
    // "wake up as many as are available" after a waiter runs).
    while (value_ > 0 && !waiters_.empty()) {
        --value_;
        hand_over();
    }
}

}  // namespace corolla
