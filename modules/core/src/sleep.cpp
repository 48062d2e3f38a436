#include <corolla/core/sleep.hpp>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/detail/loop_access.hpp>

namespace corolla {
namespace {

// A sleep future that is its own timer: the timer part sits in the loop's heap, or for a
// yield (sleep(0)) in the ready queue, with no allocation but the state's. While the heap
// or the ready queue holds the timer part, it holds one reference to the whole state;
// dropping the last timer reference releases it.
class sleep_state final : public detail::future_state<void> {
public:
    sleep_state(event_loop& loop, bool yield) noexcept : future_state<void>(loop), timer(*this), yield_(yield) {}
    bool cancel(std::string message) override {
        if (done()) return false;
        // A yield's completion stays queued (as a callback would: it then finds the future
        // done); a timer leaves the heap.
        if (!yield_) timer.cancel();
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

private:
    bool yield_;
};

}  // namespace

sleep_future sleep(event_loop& loop, duration delay) {
    const bool yield = delay <= duration::zero();
    auto* s = new sleep_state(loop, yield);
    future<void> f{detail::intrusive_ptr<detail::future_state<void>>(s)};
    // The reference the timer part holds; given back when the loop drops the timer part
    // (after it ran, or once cancelled), also when scheduling throws.
    s->add_ref();
    const detail::intrusive_ptr<detail::handle_base> timer(&s->timer);
    if (yield) {
        // Awaited from a task this is a one-iteration yield; as a plain future it is done
        // in the next iteration.
        detail::loop_access::schedule_ready(loop, timer);
        return sleep_future(std::move(f), true);
    }
    detail::loop_access::schedule_timer(loop, timer, loop.deadline_after(delay));
    return sleep_future(std::move(f), false);
}

sleep_future sleep(duration delay) {
    event_loop* loop = event_loop::running();
    if (!loop) throw invalid_state_error("sleep: no running event loop");
    return sleep(*loop, delay);
}

}  // namespace corolla
