// The loop's timers (call_later / call_at, sleeps, timeouts): a binary min-heap of handles
// by deadline, ties broken by scheduling order. A cancelled timer stays in the heap until
// swept by asyncio's rule (BaseEventLoop._run_once): the heap is rebuilt once it holds
// more than 100 entries of which more than half are cancelled, and cancelled timers at its
// head are dropped, so it never holds much more than twice the live timers, or 100.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <corolla/core/clock.hpp>
#include <corolla/core/handle.hpp>

namespace corolla::detail {

struct timer_entry {
    time_point when;
    handle_base* h;  // owns one reference; h->timer_seq_ breaks ties
};

class timer_heap {
public:
    bool empty() const noexcept { return heap_.empty(); }
    /// Entries, cancelled ones included.
    std::size_t size() const noexcept { return heap_.size(); }
    /// Entries not cancelled.
    std::size_t live() const noexcept { return heap_.size() - cancelled_; }
    /// The earliest entry (the heap must not be empty).
    const timer_entry& front() const noexcept { return heap_.front(); }

    /// Adds `h` (whose reference the heap takes over) due at `when`.
    void push(handle_base* h, time_point when) {
        h->timer_seq_ = seq_++;
        heap_.push_back(timer_entry{when, h});
        std::push_heap(heap_.begin(), heap_.end(), after{});
    }
    /// A timer in the heap was cancelled (it stays until swept).
    void note_cancelled() noexcept { ++cancelled_; }

    /// The sweep of cancelled timers, before each iteration looks at the deadline.
    void purge() {
        if (heap_.size() > 100 && cancelled_ * 2 > heap_.size()) {
            std::erase_if(heap_, [](const timer_entry& t) {
                if (!t.h->cancelled()) return false;
                t.h->timer_loop_ = nullptr;
                t.h->release();
                return true;
            });
            std::make_heap(heap_.begin(), heap_.end(), after{});
            cancelled_ = 0;
        }
        while (!heap_.empty() && heap_.front().h->cancelled()) {
            pop()->release();
            --cancelled_;
        }
    }

    /// The next timer due at `now` that is not cancelled, with the heap's reference, or
    /// null when none is due (cancelled ones met on the way are dropped).
    handle_base* pop_due(time_point now) noexcept {
        while (!heap_.empty() && heap_.front().when <= now && heap_.front().when != time_point::max()) {
            handle_base* h = pop();
            if (!h->cancelled()) return h;
            --cancelled_;
            h->release();
        }
        return nullptr;
    }

    /// Cancels and drops every timer (the loop closes): what they captured is freed even
    /// when something else still holds the handle.
    void clear() noexcept {
        while (!heap_.empty()) {
            handle_base* h = pop();
            h->cancel();
            h->release();
        }
        cancelled_ = 0;
    }

private:
    // std::*_heap build max-heaps; "greater" turns them into the min-heap needed here.
    struct after {
        bool operator()(const timer_entry& a, const timer_entry& b) const noexcept {
            return a.when != b.when ? a.when > b.when : a.h->timer_seq_ > b.h->timer_seq_;
        }
    };
    handle_base* pop() noexcept {
        std::pop_heap(heap_.begin(), heap_.end(), after{});
        handle_base* h = heap_.back().h;
        heap_.pop_back();
        h->timer_loop_ = nullptr;
        return h;
    }

    std::vector<timer_entry> heap_;
    std::size_t cancelled_ = 0;
    std::uint64_t seq_ = 0;
};

}  // namespace corolla::detail
