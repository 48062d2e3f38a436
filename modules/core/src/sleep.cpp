#include <corolla/core/sleep.hpp>

#include <corolla/core/event_loop.hpp>

namespace corolla {
namespace {

class sleep_state final : public detail::future_state<void> {
public:
    using future_state<void>::future_state;
    bool cancel(std::string message) override {
        if (done()) return false;
        timer.cancel();
        return cancel_now(std::move(message));
    }
    timer_handle timer;
};

}  // namespace

sleep_future sleep(event_loop& loop, duration delay) {
    detail::intrusive_ptr<sleep_state> s(new sleep_state(loop));
    future<void> f{detail::intrusive_ptr<detail::future_state<void>>(s)};
    if (delay <= duration::zero()) {
        // Awaited from a task this is a one-iteration yield; as a plain future it is done
        // in the next iteration.
        s->timer = timer_handle();
        loop.call_soon([s] {
            if (!s->done()) s->set_result();
        });
        return sleep_future(std::move(f), true);
    }
    // The timer keeps the state alive until it fires or is cancelled (cancel releases the
    // callback and with it this reference); firing breaks the state -> timer link.
    s->timer = loop.call_later(delay, [s] {
        s->timer = timer_handle();
        if (!s->done()) s->set_result();
    });
    return sleep_future(std::move(f), false);
}

sleep_future sleep(duration delay) {
    event_loop* loop = event_loop::running();
    if (!loop) throw invalid_state_error("sleep: no running event loop");
    return sleep(*loop, delay);
}

}  // namespace corolla
