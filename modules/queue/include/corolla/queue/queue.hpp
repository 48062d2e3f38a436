// queue<T>, priority_queue<T, Compare>, lifo_queue<T> (asyncio.Queue, PriorityQueue,
// LifoQueue, with 3.13's shutdown()). One object serves coroutines and fibers:
//
//     corolla::queue<job> q(100);                 // maxsize 100 (0: unbounded)
//     co_await q.put(j);        job j = co_await q.get();          // coroutine
//     corolla::await(q.put(j)); job j = corolla::await(q.get());   // fiber
//
// Fair and cancellation-safe. Waiting getters and putters are served in FIFO order: an
// item put while getters wait is reserved for the first of them (a get_nowait() arriving
// later cannot take it), and a slot freed while putters wait is reserved for the first
// putter. A getter cancelled after an item was reserved for it passes the item on to the
// next getter, or leaves it at the head of the queue; a cancelled getter never takes an
// item. A putter cancelled while waiting, or after a slot was reserved for it, inserts
// nothing (its item is destroyed with the operation) and passes the slot on.
// wait_for(q.get(), 1s) leaves no getter behind when it times out.
//
// shutdown(immediate): later put()s and waiting putters raise queue_shut_down; get()
// keeps returning the items left and raises queue_shut_down once the queue is empty
// (at once with immediate=true, which also discards the items and releases join()).
//
// A queue belongs to the loop it is first waited on from. Other threads feed it through
// put_threadsafe (queue/threadsafe.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include <corolla/core/detail/waiter.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/operation.hpp>

namespace corolla {

/// get_nowait() on a queue with no item to take (asyncio.QueueEmpty).
class queue_empty : public error {
public:
    using error::error;
};
/// put_nowait() on a full queue (asyncio.QueueFull).
class queue_full : public error {
public:
    using error::error;
};
/// The queue was shut down (asyncio.QueueShutDown).
class queue_shut_down : public error {
public:
    using error::error;
};

/// The part of a queue that does not depend on the item type: the lines of getters,
/// putters and joiners, reservations, task counting and shutdown. `size` arguments are
/// the number of items stored.
class queue_base {
public:
    explicit queue_base(std::size_t maxsize) noexcept : maxsize_(maxsize) {}
    queue_base(const queue_base&) = delete;
    queue_base& operator=(const queue_base&) = delete;
    ~queue_base();

    std::size_t maxsize() const noexcept { return maxsize_; }
    /// Items put and not yet marked done with task_done().
    std::size_t unfinished_tasks() const noexcept { return unfinished_; }
    bool is_shut_down() const noexcept { return shutdown_; }
    /// Marks one item taken by get() as processed (asyncio's task_done); value_error when
    /// called more often than items were put.
    void task_done();

    class join_op {
    public:
        using result_type = void;
        explicit join_op(queue_base& q) noexcept : q_(&q) {}
        join_op(join_op&& o) noexcept : q_(o.q_), w_(std::move(o.w_)) {}
        join_op& operator=(join_op&&) = delete;
        ~join_op() {
            if (w_ && w_->list) w_->list->remove(*w_);
        }
        detail::future_base* start(event_loop& loop);
        void finish(std::exception_ptr injected);

    private:
        queue_base* q_;
        detail::intrusive_ptr<detail::waiter> w_;
    };
    /// Waits until every item put has been marked done.
    [[nodiscard]] join_op join() noexcept { return join_op(*this); }

protected:
    bool can_put(std::size_t size) const noexcept { return maxsize_ == 0 || size + reserved_slots_ < maxsize_; }
    bool can_get(std::size_t size) const noexcept { return size > reserved_items_; }
    /// An item was stored: count it and reserve it for the first waiting getter.
    void stored(std::size_t size) {
        ++unfinished_;
        if (!getters_.empty()) wake_getter(size);
    }
    /// An item taken came back (a cancelled get): reserve it for a waiting getter.
    void restored(std::size_t size) {
        if (!getters_.empty()) wake_getter(size);
    }
    /// An item was taken: reserve the freed slot for the first waiting putter.
    void taken(std::size_t size) {
        if (!putters_.empty()) wake_putter(size);
    }
    [[noreturn]] void throw_cannot_put() const;
    [[noreturn]] void throw_cannot_get() const;
    /// Lines up a getter (putter) and returns the future to wait on.
    detail::future_base* wait_in(detail::waiter_list& line, detail::intrusive_ptr<detail::waiter>& w, event_loop& loop);
    /// Shuts down after the caller discarded `discarded` items (immediate).
    void shut_down(std::size_t discarded);
    /// Ends a get/put that waited: releases the reservation, passes it on when cancelled.
    void end_get_wait(detail::intrusive_ptr<detail::waiter> w, const std::exception_ptr& injected, std::size_t size);
    void end_put_wait(detail::intrusive_ptr<detail::waiter> w, const std::exception_ptr& injected, std::size_t size);
    /// A get/put operation destroyed while started: leave the line or pass the reservation on.
    void withdraw_get(detail::intrusive_ptr<detail::waiter> w, std::size_t size) noexcept;
    void withdraw_put(detail::intrusive_ptr<detail::waiter> w, std::size_t size) noexcept;

    detail::waiter_list getters_;
    detail::waiter_list putters_;

private:
    void wake_getter(std::size_t size);
    void wake_putter(std::size_t size);

    std::size_t maxsize_;
    std::size_t unfinished_ = 0;
    std::size_t reserved_items_ = 0;  ///< items promised to woken getters
    std::size_t reserved_slots_ = 0;  ///< slots promised to woken putters
    bool shutdown_ = false;
    detail::waiter_list joiners_;
    detail::loop_binding binding_;
};

namespace detail {

template <class T>
struct fifo_store {
    std::deque<T> items;
    template <class U>
    void push(U&& v) {
        items.push_back(std::forward<U>(v));
    }
    T pop() {
        T v = std::move(items.front());
        items.pop_front();
        return v;
    }
};

template <class T>
struct lifo_store {
    std::vector<T> items;
    template <class U>
    void push(U&& v) {
        items.push_back(std::forward<U>(v));
    }
    T pop() {
        T v = std::move(items.back());
        items.pop_back();
        return v;
    }
};

/// A binary heap that pops the item that compares lowest first (as asyncio's heapq).
template <class T, class Compare>
struct priority_store {
    std::vector<T> items;
    [[no_unique_address]] Compare less{};
    struct greater {
        Compare* less;
        bool operator()(const T& a, const T& b) const { return (*less)(b, a); }
    };
    template <class U>
    void push(U&& v) {
        items.push_back(std::forward<U>(v));
        std::push_heap(items.begin(), items.end(), greater{&less});
    }
    T pop() {
        std::pop_heap(items.begin(), items.end(), greater{&less});
        T v = std::move(items.back());
        items.pop_back();
        return v;
    }
};

}  // namespace detail

/// The queue: T items kept by Store (FIFO, LIFO or a priority heap).
template <class T, class Store>
class basic_queue : public queue_base {
public:
    using value_type = T;
    class get_op;
    class put_op;

    /// A queue holding at most `maxsize` items (0: no limit).
    explicit basic_queue(std::size_t maxsize = 0) : queue_base(maxsize) {}
    template <class C>
    basic_queue(std::size_t maxsize, C compare) : queue_base(maxsize), store_{{}, std::move(compare)} {}

    /// Items in the queue (including ones reserved for getters that have not resumed).
    std::size_t qsize() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    /// True when put() would wait.
    bool full() const noexcept { return !can_put(qsize()); }

    /// Waits for a free slot, then inserts `item`.
    [[nodiscard]] put_op put(T item) { return put_op(*this, std::move(item)); }
    /// Waits for an item and takes it.
    [[nodiscard]] get_op get() noexcept { return get_op(*this); }
    /// Inserts at once or throws queue_full / queue_shut_down (and then `item` is left
    /// untouched: nothing is moved from it).
    template <class U = T>
    void put_nowait(U&& item) {
        if (is_shut_down()) throw_cannot_put();
        if (!can_put(qsize())) throw queue_full("put_nowait: the queue is full");
        push_item(std::forward<U>(item));
        stored(qsize());
    }
    /// Takes an item at once or throws queue_empty / queue_shut_down.
    T get_nowait() {
        if (!can_get(qsize())) throw_cannot_get();
        return take();
    }
    /// Stops the queue; see the header comment. Idempotent.
    void shutdown(bool immediate = false) {
        std::size_t discarded = 0;
        if (immediate) {
            discarded = qsize();
            store_.items.clear();
            size_ = 0;
        }
        shut_down(discarded);
    }

    class get_op {
    public:
        using result_type = T;
        explicit get_op(basic_queue& q) noexcept : q_(&q) {}
        get_op(get_op&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
            : q_(o.q_), w_(std::move(o.w_)), item_(std::move(o.item_)) {}
        get_op& operator=(get_op&&) = delete;
        ~get_op() {
            if (w_) q_->withdraw_get(std::move(w_), q_->qsize());
        }
        detail::future_base* start(event_loop& loop) {
            if (q_->can_get(q_->qsize())) {
                item_.emplace(q_->take());
                return nullptr;
            }
            if (q_->is_shut_down()) q_->throw_cannot_get();
            return q_->wait_in(q_->getters_, w_, loop);
        }
        T finish(std::exception_ptr injected) {
            if (w_) {
                q_->end_get_wait(std::move(w_), injected, q_->qsize());  // throws unless granted
                if (injected) std::rethrow_exception(injected);
                if (q_->empty()) q_->throw_cannot_get();  // discarded by shutdown(immediate)
                return q_->take();
            }
            if (injected) {
                q_->put_back(std::move(*item_));
                std::rethrow_exception(injected);
            }
            return std::move(*item_);
        }

    private:
        basic_queue* q_;
        detail::intrusive_ptr<detail::waiter> w_;
        std::optional<T> item_;
    };

    class put_op {
    public:
        using result_type = void;
        put_op(basic_queue& q, T item) : q_(&q), item_(std::move(item)) {}
        put_op(put_op&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
            : q_(o.q_), w_(std::move(o.w_)), item_(std::move(o.item_)) {}
        put_op& operator=(put_op&&) = delete;
        ~put_op() {
            if (w_) q_->withdraw_put(std::move(w_), q_->qsize());
        }
        detail::future_base* start(event_loop& loop) {
            if (q_->is_shut_down()) q_->throw_cannot_put();
            if (q_->can_put(q_->qsize())) {
                q_->push_item(std::move(*item_));
                q_->stored(q_->qsize());
                return nullptr;
            }
            return q_->wait_in(q_->putters_, w_, loop);
        }
        void finish(std::exception_ptr injected) {
            if (w_) {
                q_->end_put_wait(std::move(w_), injected, q_->qsize());  // throws unless granted
                if (injected) std::rethrow_exception(injected);
                if (q_->is_shut_down()) q_->throw_cannot_put();
                q_->push_item(std::move(*item_));
                q_->stored(q_->qsize());
                return;
            }
            if (injected) std::rethrow_exception(injected);
        }

    private:
        basic_queue* q_;
        detail::intrusive_ptr<detail::waiter> w_;
        std::optional<T> item_;
    };

private:
    T take() {
        T v = store_.pop();
        --size_;
        taken(size_);
        return v;
    }
    /// Returns an item taken by a get that is cancelled before its code resumed.
    void put_back(T&& v) {
        push_item(std::move(v));
        restored(size_);
    }

    template <class U>
    void push_item(U&& v) {
        store_.push(std::forward<U>(v));
        ++size_;
    }

    Store store_;
    std::size_t size_ = 0;  ///< kept here: std::deque::size() is not a load
};

template <class T>
using queue = basic_queue<T, detail::fifo_store<T>>;
template <class T>
using lifo_queue = basic_queue<T, detail::lifo_store<T>>;
/// Pops the lowest item first (by `Compare`, std::less by default), like asyncio's
/// PriorityQueue; pass a comparator to order by anything else.
template <class T, class Compare = std::less<T>>
using priority_queue = basic_queue<T, detail::priority_store<T, Compare>>;

}  // namespace corolla
