// generator<Yield, Send, Return>: Python's generators as stackless C++20 coroutines —
// next / send / throw_ / close, a state query (inspect.getgeneratorstate), range-for, a
// return value (StopIteration.value) and `co_yield yield_from(sub)` delegation that
// forwards sends, throws and close and evaluates to the sub-generator's return value.
// Needs no event loop. Delegation chains of any depth resume their innermost generator
// directly: one item costs the same native stack at depth 1 and at depth 10^5.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <optional>
#include <ranges>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include <corolla/core/detail/small_pool.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/generator_state.hpp>

namespace corolla {

template <class Yield, class Send = void, class Return = void>
class generator;

namespace detail {

template <class Yield, class Send>
class gen_node;

template <class Send>
struct gen_send_slot {
    std::optional<Send> sent_;
};
template <>
struct gen_send_slot<void> {};

template <class Return>
struct gen_return_slot {
    std::optional<Return> ret_;
    template <class U = Return>
    void return_value(U&& v) {
        ret_.emplace(std::forward<U>(v));
    }
};
template <>
struct gen_return_slot<void> {
    void return_void() noexcept {}
};

/// What `yield_from(x)` returns; only meaningful as the operand of co_yield.
template <class G, bool Owned>
struct gen_delegation {
    std::conditional_t<Owned, G, G*> sub;
};
template <class Range>
struct range_delegation {
    Range&& range;
};

template <class T>
struct is_generator : std::false_type {};
template <class Y, class S, class R>
struct is_generator<generator<Y, S, R>> : std::true_type {};

template <class Yield, class Send, class G, bool Owned>
class gen_delegate_awaiter;

/// The part of a generator's promise that does not depend on its Return type, so that a
/// delegation chain can hold generators with different return types. A chain is linked
/// by parent_ / child_; only its outermost node (the one next() was called on) knows
/// the innermost one (leaf_), which is where every resume goes.
template <class Yield, class Send>
class gen_node : public pooled, public gen_send_slot<Send> {
public:
    using send_result = std::conditional_t<std::is_void_v<Send>, void, std::optional<Send>>;

    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }

    // A synchronous generator has no event loop to wait on: co_await is refused at
    // compile time (use async_generator inside tasks).
    template <class U>
    void await_transform(U&&) = delete;

    struct yield_awaiter {
        gen_node& self;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        send_result await_resume() const {
            self.rethrow_injected();
            if constexpr (!std::is_void_v<Send>) return std::exchange(self.sent_, std::nullopt);
        }
    };
    yield_awaiter yield_value(Yield&& v) {
        value_.emplace(std::move(v));
        return {*this};
    }
    yield_awaiter yield_value(const Yield& v) {
        value_.emplace(v);
        return {*this};
    }
    template <class G, bool Owned>
    gen_delegate_awaiter<Yield, Send, G, Owned> yield_value(gen_delegation<G, Owned>&& d) {
        return gen_delegate_awaiter<Yield, Send, G, Owned>(*this, std::move(d.sub));
    }
    template <class Range>
    auto yield_value(range_delegation<Range>&& d);

    void rethrow_injected() {
        if (injected_) std::rethrow_exception(std::exchange(injected_, nullptr));
    }
    gen_node* outermost() noexcept {
        gen_node* n = this;
        while (n->parent_)
            n = n->parent_;
        return n;
    }
    gen_node* innermost() noexcept {
        gen_node* n = this;
        while (n->child_)
            n = n->child_;
        return n;
    }

    std::coroutine_handle<> self_{};
    gen_node* parent_ = nullptr;    // the generator delegating to this one
    gen_node* child_ = nullptr;     // the generator this one delegates to
    gen_node* leaf_ = nullptr;      // outermost node only: where the next resume goes
    gen_node** owner_ = nullptr;    // set while owned by a parent's yield_from
    std::optional<Yield> value_;    // the value being yielded
    std::exception_ptr exception_;  // escaped the body, not yet delivered
    std::exception_ptr injected_;   // to be thrown at the yield point on resume
    bool started_ = false;
    bool running_ = false;     // outermost node only
    bool delegating_ = false;  // just suspended in yield_from: the driver starts the child
};

/// Resumes a chain until some generator in it yields or the outermost one finishes
/// (returns the yielding node, or null). A loop rather than nested resumes, so neither
/// starting, finishing nor forwarding through a delegation grows the native stack.
template <class Yield, class Send>
gen_node<Yield, Send>* gen_drive(gen_node<Yield, Send>& top, gen_node<Yield, Send>* leaf, bool closing) {
    struct running_guard {
        gen_node<Yield, Send>& top;
        ~running_guard() { top.running_ = false; }
    } guard{top};
    top.running_ = true;
    top.leaf_ = nullptr;
    for (;;) {
        leaf->value_.reset();
        leaf->started_ = true;
        leaf->self_.resume();
        if (leaf->self_.done()) {
            if (leaf == &top) return nullptr;
            // The delegating generator continues at its yield_from, which delivers this
            // one's return value or exception.
            gen_node<Yield, Send>* parent = leaf->parent_;
            parent->child_ = nullptr;
            leaf->parent_ = nullptr;
            leaf->owner_ = nullptr;
            if (closing && !leaf->exception_) parent->injected_ = std::make_exception_ptr(generator_exit{});
            leaf = parent;
            continue;
        }
        if (leaf->delegating_) {
            leaf->delegating_ = false;
            gen_node<Yield, Send>* child = leaf->child_;
            // A started sub-generator may itself be delegating: continue its innermost.
            leaf = child->leaf_ ? child->leaf_ : child;
            child->leaf_ = nullptr;
            continue;
        }
        top.leaf_ = leaf;
        return leaf;
    }
}

/// Detaches a borrowed sub-generator from the generator delegating to it, leaving it a
/// suspended generator of its own.
template <class Yield, class Send>
void gen_detach(gen_node<Yield, Send>& child) noexcept {
    if (child.parent_) child.parent_->child_ = nullptr;
    child.parent_ = nullptr;
    child.owner_ = nullptr;
    gen_node<Yield, Send>* in = child.innermost();
    child.leaf_ = in != &child ? in : nullptr;
}

/// Destroys a generator's frame and every sub-generator frame its yield_from calls own,
/// innermost first, so a deep chain is destroyed without deep recursion.
template <class Yield, class Send>
void gen_destroy(gen_node<Yield, Send>* top) noexcept {
    gen_node<Yield, Send>* n = top;
    while (n->child_ && n->child_->owner_)
        n = n->child_;
    if (n->child_) gen_detach(*n->child_);
    while (n != top) {
        gen_node<Yield, Send>* parent = n->parent_;
        parent->child_ = nullptr;
        n->parent_ = nullptr;
        *std::exchange(n->owner_, nullptr) = nullptr;
        n->self_.destroy();
        n = parent;
    }
    top->self_.destroy();
}

template <class Yield, class Send, class Return>
class gen_promise : public gen_node<Yield, Send>, public gen_return_slot<Return> {
public:
    // The default argument is evaluated in the generator function itself, so it names it
    // (for to_string()).
    gen_promise(std::source_location where = std::source_location::current()) noexcept  // NOLINT
        : where_(where) {}
    generator<Yield, Send, Return> get_return_object() noexcept;

    std::source_location where_;
};

template <class Yield, class Send, class G, bool Owned>
class gen_delegate_awaiter {
public:
    using sub_return = typename G::return_type;

    gen_delegate_awaiter(gen_node<Yield, Send>& self, std::conditional_t<Owned, G, G*>&& sub)
        : self_(self), sub_(std::move(sub)) {}
    gen_delegate_awaiter(const gen_delegate_awaiter&) = delete;
    gen_delegate_awaiter& operator=(const gen_delegate_awaiter&) = delete;
    ~gen_delegate_awaiter() {
        if (auto* c = node(); c && c->parent_ == &self_) gen_detach(*c);
    }

    bool await_ready() noexcept {
        auto* c = node();
        return !c || c->self_.done();
    }
    void await_suspend(std::coroutine_handle<>) {
        auto* c = node();
        if (c->parent_ || c->running_)
            throw invalid_state_error("yield_from: that generator is already running or being delegated to");
        c->parent_ = &self_;
        self_.child_ = c;
        self_.delegating_ = true;
        if constexpr (Owned) c->owner_ = &sub_.node_;
    }
    sub_return await_resume() {
        auto* c = node();
        if (c && c->exception_) std::rethrow_exception(std::exchange(c->exception_, nullptr));
        self_.rethrow_injected();  // generator_exit after the sub-generator closed
        if constexpr (!std::is_void_v<sub_return>) {
            auto* p = static_cast<gen_promise<Yield, Send, sub_return>*>(c);
            if (!p || !p->ret_) throw invalid_state_error("yield_from: the generator has no return value (closed)");
            if constexpr (Owned || !std::is_copy_constructible_v<sub_return>)
                return std::move(*p->ret_);
            else
                return *p->ret_;
        }
    }

private:
    G& sub() noexcept {
        if constexpr (Owned)
            return sub_;
        else
            return *sub_;
    }
    gen_node<Yield, Send>* node() noexcept { return sub().node_; }

    gen_node<Yield, Send>& self_;
    std::conditional_t<Owned, G, G*> sub_;
};

template <class Yield, class Send, class Range>
generator<Yield, Send> gen_from_range(Range range) {
    for (auto&& x : range)
        co_yield Yield(std::forward<decltype(x)>(x));
}

template <class Yield, class Send>
template <class Range>
auto gen_node<Yield, Send>::yield_value(range_delegation<Range>&& d) {
    using sub = generator<Yield, Send>;
    return gen_delegate_awaiter<Yield, Send, sub, true>(
        *this, gen_from_range<Yield, Send, Range>(std::forward<Range>(d.range)));
}

}  // namespace detail

/// A Python generator. The body is a coroutine returning generator<Yield, Send, Return>
/// that `co_yield`s Yield values and ends with `co_return` (a Return value, or nothing
/// for void). Lazy: the body starts at the first next().
///
/// - `next()` resumes until the next yield and returns the yielded value, or an empty
///   optional once the body has finished (Python's StopIteration). After that,
///   `return_value()` is what the body returned (StopIteration.value).
/// - `send(v)` (Send not void): `auto v = co_yield x;` evaluates to a std::optional<Send>,
///   engaged with what send() passed, empty when resumed by next() (Python's None).
///   The first resume must be next(): send() to a created generator throws
///   invalid_state_error.
/// - `throw_(e)` raises e inside the body at its yield point; `close()` raises
///   generator_exit there and runs the body's cleanup.
/// - An exception escaping the body propagates out of the next / send / throw_ that
///   resumed it, once; the generator is then closed. Resuming a running generator (from
///   its own body, or one being delegated to) throws invalid_state_error.
/// - Destroying a suspended generator destroys its frame without resuming it: destructors
///   of its locals run, its `catch (const generator_exit&)` blocks do not (call close()
///   for those). Not thread-safe; a generator may be moved between threads while it is
///   not running.
///
/// Yield, Send and Return are object types (not references). Yielded values are kept in
/// the frame until the next resume: range-for hands them out by reference; next()
/// moves them out.
template <class Yield, class Send, class Return>
class [[nodiscard]] generator : public std::ranges::view_base {
    static_assert(std::is_object_v<Yield> && !std::is_const_v<Yield>, "Yield must be a non-const object type");
    static_assert(std::is_void_v<Send> || std::is_object_v<Send>, "Send must be void or an object type");
    static_assert(std::is_void_v<Return> || std::is_object_v<Return>, "Return must be void or an object type");

public:
    using promise_type = detail::gen_promise<Yield, Send, Return>;
    using yield_type = Yield;
    using send_type = Send;
    using return_type = Return;

    generator() noexcept = default;
    generator(generator&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
    generator& operator=(generator&& o) noexcept {
        if (this != &o) {
            reset();
            node_ = std::exchange(o.node_, nullptr);
        }
        return *this;
    }
    ~generator() { reset(); }

    /// Python's repr(g): "<generator object fibo at 0x...>", named after the generator
    /// function.
    std::string to_string() const {
        return detail::generator_repr(node_ ? static_cast<const promise_type*>(node_)->where_.function_name() : "",
                                      node_);
    }

    generator_state state() const noexcept {
        if (!node_ || node_->self_.done()) return generator_state::closed;
        if (!node_->started_) return generator_state::created;
        return node_->outermost()->running_ ? generator_state::running : generator_state::suspended;
    }

    /// Python's next(g): the next yielded value, or empty once the body has finished.
    std::optional<Yield> next() { return take(resume(mode::next, {})); }

    /// Python's g.send(v) on a started generator: v becomes the value of the pending
    /// `co_yield`; returns the next yielded value, or empty once the body has finished.
    template <class U = Send>
    requires(!std::is_void_v<Send> && std::is_convertible_v<U&&, Send>) std::optional<Yield> send(U&& v) {
        check_resumable();
        if (!node_ || node_->self_.done()) return std::nullopt;
        if (!node_->started_)
            throw invalid_state_error("can't send a value to a just-started generator: call next() first");
        (node_->leaf_ ? node_->leaf_ : node_)->sent_.emplace(std::forward<U>(v));
        return take(resume(mode::next, {}));
    }

    /// Python's g.throw(e): raises e inside the body at its yield point (inside the
    /// innermost generator of a yield_from chain). Returns the next yielded value when the
    /// body catches it, empty when the body then returns; rethrows whatever escapes the
    /// body. A created or closed generator is closed and e is rethrown at once.
    std::optional<Yield> throw_(std::exception_ptr e) {
        if (!e) throw std::invalid_argument("generator::throw_: empty exception_ptr");
        if (!node_ || node_->self_.done() || !node_->started_) {
            if (node_ && !node_->self_.done() && !node_->started_ && !node_->parent_) reset();
            std::rethrow_exception(e);
        }
        return take(resume(mode::throw_in, std::move(e)));
    }
    template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>) std::optional<Yield> throw_(E&& e) {
        return throw_(std::make_exception_ptr(std::forward<E>(e)));
    }

    /// Python's g.close(): raises generator_exit at the yield point (forwarded down a
    /// yield_from chain) and lets the body clean up. Closing a created generator discards
    /// it without running it; closing a closed one does nothing. If the body returns, its
    /// value stays available from return_value(). Throws invalid_state_error if the body
    /// yields instead of finishing (the generator is then destroyed), and rethrows any
    /// exception other than generator_exit that escapes the body.
    void close() {
        if (!node_ || node_->self_.done()) return;
        if (!node_->started_ && !node_->parent_) {
            reset();
            return;
        }
        if (resume(mode::close, std::make_exception_ptr(generator_exit{}))) {
            reset();
            throw invalid_state_error("generator ignored generator_exit: it yielded during close()");
        }
        if (std::exception_ptr e = std::exchange(node_->exception_, nullptr)) {
            try {
                std::rethrow_exception(e);
            } catch (const generator_exit&) {
            }
        }
    }

    /// What the body returned (StopIteration.value). invalid_state_error until it has
    /// returned, or when it ended by an exception or by close() without returning.
    template <class R = Return>
    requires(!std::is_void_v<R>) R& return_value() & { return checked_return(); }
    template <class R = Return>
    requires(!std::is_void_v<R>) const R& return_value() const& {
        return const_cast<generator*>(this)->checked_return();
    }
    template <class R = Return>
    requires(!std::is_void_v<R>) R return_value() && {
        return std::move(checked_return());
    }

    class iterator {
    public:
        using value_type = Yield;
        using difference_type = std::ptrdiff_t;
        using reference = Yield&;
        using iterator_concept = std::input_iterator_tag;

        iterator() noexcept = default;
        reference operator*() const noexcept { return *g_->node_->leaf_->value_; }
        iterator& operator++() {
            g_->resume(mode::next, {});
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& i, std::default_sentinel_t) noexcept { return i.at_end(); }

    private:
        friend class generator;
        explicit iterator(generator* g) noexcept : g_(g) {}
        bool at_end() const noexcept { return !g_->node_ || g_->node_->self_.done(); }
        generator* g_ = nullptr;
    };

    /// Range-for: begin() resumes to the first (next) yield; iteration ends when the body
    /// finishes, rethrowing what escapes it.
    iterator begin() {
        if (node_ && !node_->self_.done()) resume(mode::next, {});
        return iterator(this);
    }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    using node = detail::gen_node<Yield, Send>;
    template <class, class, class, bool>
    friend class detail::gen_delegate_awaiter;
    friend class detail::gen_promise<Yield, Send, Return>;
    enum class mode { next, throw_in, close };

    explicit generator(node* n) noexcept : node_(n) {}

    void reset() noexcept {
        if (node_) detail::gen_destroy(std::exchange(node_, nullptr));
    }

    void check_resumable() const {
        if (!node_ || node_->self_.done()) return;
        if (node_->outermost()->running_) throw invalid_state_error("generator already executing");
        if (node_->parent_)
            throw invalid_state_error(
                "generator is being delegated to by yield_from: resume the generator delegating to it");
    }

    /// Runs the body; returns the node holding the yielded value, or null when finished
    /// (after rethrowing what escaped the body, except in close mode).
    node* resume(mode m, std::exception_ptr inject) {
        check_resumable();
        if (!node_ || node_->self_.done()) return nullptr;
        node* leaf = node_->leaf_ ? node_->leaf_ : node_;
        if (inject) leaf->injected_ = std::move(inject);
        node* yielded = detail::gen_drive(*node_, leaf, m == mode::close);
        if (!yielded && m != mode::close)
            if (std::exception_ptr e = std::exchange(node_->exception_, nullptr)) std::rethrow_exception(e);
        return yielded;
    }

    static std::optional<Yield> take(node* yielded) {
        if (!yielded) return std::nullopt;
        return std::optional<Yield>(std::move(*yielded->value_));
    }

    template <class R = Return>
    R& checked_return() {
        auto* p = static_cast<promise_type*>(node_);
        if (!p || !p->self_.done() || !p->ret_) throw invalid_state_error("generator has not returned a value");
        return *p->ret_;
    }

    node* node_ = nullptr;
};

/// `co_yield yield_from(sub)` (Python's `yield from`) inside a generator body: runs sub,
/// passing its yields out and next / send / throw_ / close in, and evaluates to sub's
/// return value. sub must have the same Yield and Send types; its Return may differ.
/// An rvalue sub is owned by the delegation; an lvalue one is borrowed and must outlive
/// it. A sub that is already finished yields nothing and returns its value at once.
template <class Y, class S, class R>
detail::gen_delegation<generator<Y, S, R>, true> yield_from(generator<Y, S, R>&& sub) noexcept {
    return {std::move(sub)};
}
template <class Y, class S, class R>
detail::gen_delegation<generator<Y, S, R>, false> yield_from(generator<Y, S, R>& sub) noexcept {
    return {&sub};
}
/// `co_yield yield_from(range)`: yields each element of any input range, converted to the
/// generator's Yield type; evaluates to nothing. Unlike Python (where send() of a value
/// to a list iterator fails), values sent meanwhile are dropped.
template <std::ranges::input_range Range>
requires(!detail::is_generator<std::remove_cvref_t<Range>>::value) detail::range_delegation<Range> yield_from(
    Range&& range)
noexcept { return {std::forward<Range>(range)}; }

namespace detail {
template <class Yield, class Send, class Return>
generator<Yield, Send, Return> gen_promise<Yield, Send, Return>::get_return_object() noexcept {
    this->self_ = std::coroutine_handle<gen_promise>::from_promise(*this);
    return generator<Yield, Send, Return>(this);
}
}  // namespace detail

}  // namespace corolla
