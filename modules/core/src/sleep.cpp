#include <corolla/core/sleep.hpp>

#include <corolla/core/event_loop.hpp>

namespace corolla {
namespace {

// A sleep future that is its own timer: the timer part sits in the loop's heap (one
// allocation for both). While the heap or the ready queue holds the timer part, it holds
// one reference to the whole state; dropping the last timer reference releases it.
class sleep_state final : public detail::future_state<void> {
public:
    explicit sleep_state(event_loop& loop) noexcept : future_state<void>(loop), timer(*this) {}
    bool cancel(std::string message) override {
        if (done()) return false;
        timer.cancel();
        return cancel_now(std::move(message));
    }

    class timer_part final : public detail::handle_base {
    public:
        explicit timer_part(sleep_state& owner) noexcept
            : handle_base(std::source_location::current()), owner_(owner) {}

    private:
        void invoke() override {
            if (!owner_.done()) owner_.set_result();
        }
        void drop_callback() noexcept override {}
        void destroy() noexcept override { owner_.release(); }
        sleep_state& owner_;
    };
    timer_part timer;
};

}  // namespace

sleep_future sleep(event_loop& loop, duration delay) {
    detail::intrusive_ptr<sleep_state> s(new sleep_state(loop));
    future<void> f{detail::intrusive_ptr<detail::future_state<void>>(s)};
    if (delay <= duration::zero()) {
        // Awaited from a task this is a one-iteration yield; as a plain future it is done
        // in the next iteration.
        loop.call_soon([s] {
            if (!s->done()) s->set_result();
        });
        return sleep_future(std::move(f), true);
    }
    // The reference the timer part holds; given back when the loop drops the timer (after
    // it ran, or once cancelled), also when scheduling throws.
    s->add_ref();
    loop.schedule_timer(detail::intrusive_ptr<detail::handle_base>(&s->timer), loop.deadline_after(delay));
    return sleep_future(std::move(f), false);
}

sleep_future sleep(duration delay) {
    event_loop* loop = event_loop::running();
    if (!loop) throw invalid_state_error("sleep: no running event loop");
    return sleep(*loop, delay);
}

}  // namespace corolla
