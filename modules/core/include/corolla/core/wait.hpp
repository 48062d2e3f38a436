// wait(): asyncio.wait over futures and tasks of either style. The returned future
// completes when the chosen condition holds (or the timeout passes) with the futures
// split into done and pending; it never cancels any of them. Cancelling the wait itself
// only stops the waiting.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/task.hpp>

namespace corolla {

/// When wait() returns (asyncio.FIRST_COMPLETED / FIRST_EXCEPTION / ALL_COMPLETED).
enum class return_when : std::uint8_t {
    first_completed,  ///< as soon as any future is done (or cancelled)
    first_exception,  ///< as soon as any future fails with an exception (cancelled does
                      ///< not count), else when all are done
    all_completed,    ///< when every future is done
};

/// wait()'s result: the futures in their input order, split by whether they were done
/// when the wait completed.
template <class F>
struct wait_result {
    std::vector<F> done;
    std::vector<F> pending;
};

namespace detail {

inline future_base& base_of(const task_ref& t) { return t.as_future(); }
template <class T>
future_base& base_of(const future<T>& f) {
    if (!f.valid()) throw std::invalid_argument("wait: empty future");
    return *f.state();
}

template <class F>
class wait_state final : public future_state<wait_result<F>> {
    using base = future_state<wait_result<F>>;

public:
    wait_state(event_loop& loop, std::vector<F> fs, return_when when)
        : base(loop), fs_(std::move(fs)), ids_(fs_.size()), when_(when) {}

    void arm(std::optional<duration> timeout) {
        left_ = fs_.size();
        for (std::size_t i = 0; i < fs_.size(); ++i)
            ids_[i] = base_of(fs_[i]).add_done_callback(
                [self = intrusive_ptr<future_base>(this), this](future_base& f) { on_done(f); });
        if (timeout)
            timer_ = this->loop().call_later(*timeout, [self = intrusive_ptr<future_base>(this), this] { finish(); });
    }

    /// Stops waiting; the futures are left alone.
    bool cancel(std::string message) override {
        if (this->done()) return false;
        detach();
        return this->cancel_now(std::move(message));
    }

private:
    void on_done(future_base& f) {
        --left_;
        if (this->done()) return;
        bool failed = !f.cancelled() && f.exception() != nullptr;
        if (left_ == 0 || when_ == return_when::first_completed || (when_ == return_when::first_exception && failed))
            finish();
    }
    void finish() {
        if (this->done()) return;
        detach();
        wait_result<F> r;
        for (auto& f : fs_)
            (base_of(f).done() ? r.done : r.pending).push_back(std::move(f));
        fs_.clear();
        this->set_result(std::move(r));
    }
    // Drops our callbacks from the futures still pending, which also breaks the
    // reference cycle between them and this state.
    void detach() noexcept {
        timer_.cancel();
        for (std::size_t i = 0; i < fs_.size(); ++i)
            if (!base_of(fs_[i]).done()) base_of(fs_[i]).remove_done_callback(ids_[i]);
    }

    std::vector<F> fs_;
    std::vector<callback_id> ids_;
    timer_handle timer_;
    std::size_t left_ = 0;
    return_when when_;
};

template <class F>
future<wait_result<F>> start_wait(event_loop& loop, std::vector<F> fs, return_when when,
                                  std::optional<duration> timeout) {
    if (fs.empty()) throw std::invalid_argument("wait: the set of futures is empty");
    for (const auto& f : fs)
        if (&base_of(f).loop() != &loop) throw std::invalid_argument("wait: a future belongs to another event loop");
    intrusive_ptr<wait_state<F>> s(new wait_state<F>(loop, std::move(fs), when));
    s->arm(timeout);
    return future<wait_result<F>>(intrusive_ptr<future_state<wait_result<F>>>(std::move(s)));
}

}  // namespace detail

/// Waits until `when` holds for `fs` (asyncio.wait). The futures are returned, split into
/// done and pending, as the result; nothing is cancelled, not even on timeout. An empty
/// `fs` is std::invalid_argument. Futures already done count at the next iteration.
template <class T>
future<wait_result<future<T>>> wait(event_loop& loop, std::vector<future<T>> fs,
                                    return_when when = return_when::all_completed) {
    return detail::start_wait(loop, std::move(fs), when, std::nullopt);
}

/// wait() that also completes once `timeout` has passed, whatever is done by then.
template <class T, class Rep, class Period>
future<wait_result<future<T>>> wait(event_loop& loop, std::vector<future<T>> fs, return_when when,
                                    std::chrono::duration<Rep, Period> timeout) {
    return detail::start_wait(loop, std::move(fs), when,
                              std::chrono::duration_cast<duration>(std::max(timeout, timeout.zero())));
}

/// wait() over tasks of different result types and styles.
inline future<wait_result<task_ref>> wait(event_loop& loop, std::vector<task_ref> ts,
                                          return_when when = return_when::all_completed) {
    return detail::start_wait(loop, std::move(ts), when, std::nullopt);
}
template <class Rep, class Period>
future<wait_result<task_ref>> wait(event_loop& loop, std::vector<task_ref> ts, return_when when,
                                   std::chrono::duration<Rep, Period> timeout) {
    return detail::start_wait(loop, std::move(ts), when,
                              std::chrono::duration_cast<duration>(std::max(timeout, timeout.zero())));
}

}  // namespace corolla
