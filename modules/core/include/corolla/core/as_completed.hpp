// as_completed(): asyncio.as_completed over futures and tasks. Each next() gives a
// future for "the next one to finish", so results are consumed in completion order from
// both execution styles (co_await, await) alike. Nothing is ever cancelled by it.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/future.hpp>

namespace corolla {

namespace detail {

template <class T>
class as_completed_state final : public ref_counted {
public:
    explicit as_completed_state(event_loop& loop) : loop_(&loop) {}

    void arm(std::vector<future<T>> fs, std::optional<duration> timeout) {
        todo_ = std::move(fs);
        ids_.resize(todo_.size());
        left_ = todo_.size();
        for (std::size_t i = 0; i < todo_.size(); ++i) {
            if (!todo_[i].valid()) throw std::invalid_argument("as_completed: empty future");
            if (&todo_[i].get_loop() != loop_)
                throw std::invalid_argument("as_completed: a future belongs to another event loop");
        }
        for (std::size_t i = 0; i < todo_.size(); ++i)
            ids_[i] = todo_[i].add_done_callback(
                [self = intrusive_ptr<as_completed_state>(this)](future<T> f) { self->on_done(std::move(f)); });
        if (timeout)
            timer_ = loop_->call_later(*timeout, [self = intrusive_ptr<as_completed_state>(this)] { self->expire(); });
    }

    std::size_t remaining() const noexcept { return left_; }

    future<T> next() {
        if (left_ == 0) throw invalid_state_error("as_completed: every future was already handed out");
        --left_;
        if (!finished_.empty()) {
            future<T> f = std::move(finished_.front());
            finished_.pop_front();
            return f;
        }
        future<T> slot(*loop_);
        if (timed_out_)
            slot.set_exception(std::make_exception_ptr(timeout_error("as_completed: timed out")));
        else
            waiting_.push_back(slot);
        return slot;
    }

    /// Removes our callbacks and the timer (the owner is gone); breaks reference cycles.
    void detach() noexcept {
        timer_.cancel();
        for (std::size_t i = 0; i < todo_.size(); ++i)
            if (!todo_[i].done()) todo_[i].remove_done_callback(ids_[i]);
        todo_.clear();
        waiting_.clear();
        finished_.clear();
    }

private:
    void on_done(future<T> f) {
        // A slot whose reader gave up (cancelled) is skipped: the result is not lost.
        while (!waiting_.empty() && waiting_.front().done())
            waiting_.pop_front();
        if (waiting_.empty()) {
            finished_.push_back(std::move(f));
            return;
        }
        future<T> slot = std::move(waiting_.front());
        waiting_.pop_front();
        transfer(
            f, *slot.state(), +[](future_state<T>& s, std::string m) { s.cancel(std::move(m)); });
    }
    void expire() {
        timed_out_ = true;
        for (std::size_t i = 0; i < todo_.size(); ++i)
            if (!todo_[i].done()) todo_[i].remove_done_callback(ids_[i]);
        for (auto& slot : waiting_)
            if (!slot.done()) slot.set_exception(std::make_exception_ptr(timeout_error("as_completed: timed out")));
        waiting_.clear();
    }

    event_loop* loop_;
    std::vector<future<T>> todo_;
    std::vector<callback_id> ids_;
    std::deque<future<T>> finished_;  ///< done, not handed out yet
    std::deque<future<T>> waiting_;   ///< handed out, not done yet
    timer_handle timer_;
    std::size_t left_ = 0;
    bool timed_out_ = false;
};

}  // namespace detail

/// The futures of `fs` in the order they finish (asyncio.as_completed). Call next() (or
/// iterate) exactly size() times; each returned future completes like the next input
/// future to finish: same value, exception or cancellation. After the timeout every
/// future not yet handed a result fails with timeout_error; the inputs keep running.
/// Destroying the object stops the bookkeeping; futures already handed out whose input
/// has not finished stay pending.
template <class T>
class as_completed_set {
public:
    as_completed_set(event_loop& loop, std::vector<future<T>> fs, std::optional<duration> timeout)
        : s_(new detail::as_completed_state<T>(loop)), size_(fs.size()) {
        s_->arm(std::move(fs), timeout);
    }
    as_completed_set(as_completed_set&&) noexcept = default;
    as_completed_set& operator=(as_completed_set&&) = delete;
    ~as_completed_set() {
        if (s_) s_->detach();
    }

    std::size_t size() const noexcept { return size_; }
    /// How many next() calls are left.
    std::size_t remaining() const noexcept { return s_->remaining(); }
    /// A future for the next input to finish. invalid_state_error once all were handed out.
    future<T> next() { return s_->next(); }

    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = future<T>;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(as_completed_set* s) : s_(s) {}
        future<T> operator*() const { return s_->next(); }
        iterator& operator++() { return *this; }
        void operator++(int) {}
        friend bool operator==(const iterator& it, std::default_sentinel_t) {
            return !it.s_ || it.s_->remaining() == 0;
        }

    private:
        as_completed_set* s_ = nullptr;
    };
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() { return {}; }

private:
    detail::intrusive_ptr<detail::as_completed_state<T>> s_;
    std::size_t size_;
};

template <class T>
as_completed_set<T> as_completed(event_loop& loop, std::vector<future<T>> fs) {
    return as_completed_set<T>(loop, std::move(fs), std::nullopt);
}
template <class T, class Rep, class Period>
as_completed_set<T> as_completed(event_loop& loop, std::vector<future<T>> fs,
                                 std::chrono::duration<Rep, Period> timeout) {
    return as_completed_set<T>(loop, std::move(fs),
                               std::chrono::duration_cast<duration>(std::max(timeout, timeout.zero())));
}

}  // namespace corolla
