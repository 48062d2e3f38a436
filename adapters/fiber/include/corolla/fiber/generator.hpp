// fiber_generator<Yield, Send, Return>: a stackful generator. Its body is a plain function
// running on its own fiber, so it can yield from any call depth — a recursive tree walk,
// a parser's helper functions — by passing the yielder down. The interface is the
// stackless generator's (the coroutine adapter's generator.hpp): next / send / throw_ / close, the
// same generator_state, range-for and return_value(), with Python's semantics.
//
//     corolla::fiber_generator<int> walk([&](corolla::yielder<int>& y) { visit(root, y); });
//     void visit(node* n, corolla::yielder<int>& y) {        // any depth
//         if (!n) return;
//         visit(n->left, y); y.yield(n->value); visit(n->right, y);
//     }
//     for (int v : walk) ...
//
// The body runs when the generator is resumed, on whatever thread and inside whatever
// task or fiber resumes it; it cannot corolla::await (it is not a task) — use the async
// generator for that. Destroying a suspended generator unwinds its stack (destructors run).
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <corolla/core/detail/unique_function.hpp>
#include <corolla/core/errors.hpp>
#include <corolla/core/generator_state.hpp>
#include <corolla/fiber/detail/fiber_context.hpp>

namespace corolla {

template <class Yield, class Send = void, class Return = void>
class fiber_generator;

namespace detail {
template <class Send>
struct sent_slot {
    std::optional<Send> value;
};
template <>
struct sent_slot<void> {};
}  // namespace detail

/// What a fiber_generator's body yields through. Pass it down to yield from nested calls.
template <class Yield, class Send = void>
class yielder {
public:
    /// Hands `v` to the consumer and suspends until the generator is resumed. Returns the
    /// value passed to send(), or empty when resumed by next() (Python's None); nothing
    /// for Send = void. Throws what throw_() injects, or generator_exit from close().
    auto yield(Yield v) {
        current_ = &v;
        suspend();
        current_ = nullptr;
        if (std::exception_ptr e = std::exchange(injected_, nullptr)) std::rethrow_exception(e);
        if constexpr (!std::is_void_v<Send>) return std::exchange(sent_.value, std::nullopt);
    }
    auto operator()(Yield v) { return yield(std::move(v)); }

    /// Python's `yield from sub`: yields everything `sub` yields, forwarding send() and
    /// throw_() to it and closing it on close(); evaluates to what `sub` returned.
    template <class R>
    R yield_from(fiber_generator<Yield, Send, R>& sub);
    template <class R>
    R yield_from(fiber_generator<Yield, Send, R>&& sub) {
        return yield_from(sub);
    }

private:
    template <class, class, class>
    friend class fiber_generator;
    explicit yielder(detail::fiber_context& ctx) noexcept : ctx_(&ctx) {}
    void suspend() { ctx_->suspend(); }

    detail::fiber_context* ctx_;
    Yield* current_ = nullptr;
    std::exception_ptr injected_;
    detail::sent_slot<Send> sent_;
};

template <class Yield, class Send, class Return>
class [[nodiscard]] fiber_generator {
    static_assert(std::is_object_v<Yield> && !std::is_const_v<Yield>, "Yield must be a non-const object type");
    static_assert(std::is_void_v<Send> || std::is_object_v<Send>, "Send must be void or an object type");
    static_assert(std::is_void_v<Return> || std::is_object_v<Return>, "Return must be void or an object type");

public:
    using yielder_type = yielder<Yield, Send>;
    using yield_type = Yield;
    using send_type = Send;
    using return_type = Return;

    /// A generator that will run body(y) (body(y, args...) with the arguments moved in)
    /// on its own fiber of `stack_size` bytes (0: the fiber default). Nothing runs yet.
    template <class F, class... A>
    requires std::invocable < std::decay_t<F>
    &, yielder_type&,
        std::decay_t<A>&... > explicit fiber_generator(F&& body, A&&... args)
        : fiber_generator(std::size_t{0}, std::forward<F>(body), std::forward<A>(args)...) {}
    template <class F, class... A>
    requires std::invocable < std::decay_t<F>
    &, yielder_type&,
        std::decay_t<A>&... > fiber_generator(std::size_t stack_size, F&& body, A&&... args)
        : s_(new frame(stack_size,
                       [fn = std::forward<F>(body), ... a = std::forward<A>(args)](yielder_type& y) mutable -> Return {
                           return std::invoke(fn, y, a...);
                       })) {
        body_type_ = &typeid(std::decay_t<F>);
    }

    fiber_generator(fiber_generator&&) noexcept = default;
    fiber_generator& operator=(fiber_generator&&) noexcept = default;
    ~fiber_generator() = default;

    /// Python's repr(g): "<generator object fibo at 0x...>". A body lambda is named after
    /// the function that wrote it (the generator function of the Python original); a
    /// function object after its type.
    std::string to_string() const {
        std::string body = body_type_ ? detail::describe_callable(nullptr, *body_type_) : std::string();
        if (auto lambda = body.find("::{lambda"); lambda != std::string::npos) body.erase(lambda);
        return detail::generator_repr(body, s_.get());
    }

    generator_state state() const noexcept {
        if (!s_ || s_->closed) return generator_state::closed;
        if (s_->running) return generator_state::running;
        return s_->ctx.started() ? generator_state::suspended : generator_state::created;
    }

    /// Python's next(g): the next yielded value, or empty once the body has finished.
    std::optional<Yield> next() { return take(resume(nullptr)); }

    /// Python's g.send(v) on a started generator (invalid_state_error on a created one).
    template <class U = Send>
    requires(!std::is_void_v<Send> && std::is_convertible_v<U&&, Send>) std::optional<Yield> send(U&& v) {
        check_resumable();
        if (!s_ || s_->closed) return std::nullopt;
        if (!s_->ctx.started())
            throw invalid_state_error("can't send a value to a just-started generator: call next() first");
        s_->y.sent_.value.emplace(std::forward<U>(v));
        return take(resume(nullptr));
    }

    /// Python's g.throw(e): raises e at the body's yield point. Returns the next yielded
    /// value if the body catches it, empty if it then returns; rethrows what escapes. A
    /// created or closed generator is closed and e rethrown at once.
    std::optional<Yield> throw_(std::exception_ptr e) {
        if (!e) throw std::invalid_argument("fiber_generator::throw_: empty exception_ptr");
        check_resumable();
        if (!s_ || s_->closed || !s_->ctx.started()) {
            if (s_) s_->closed = true;
            std::rethrow_exception(e);
        }
        return take(resume(std::move(e)));
    }
    template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>) std::optional<Yield> throw_(E&& e) {
        return throw_(std::make_exception_ptr(std::forward<E>(e)));
    }

    /// Python's g.close(): raises generator_exit at the yield point and lets the body clean
    /// up. A created generator is discarded without running. Throws invalid_state_error if
    /// the body yields instead of finishing, and rethrows any other exception that escapes.
    void close() {
        check_resumable();
        if (!s_ || s_->closed) return;
        if (!s_->ctx.started()) {
            s_->closed = true;
            return;
        }
        Yield* v = nullptr;
        try {
            v = resume(std::make_exception_ptr(generator_exit{}));
        } catch (const generator_exit&) {
        }
        if (v) {
            s_.reset();  // unwinds the body
            throw invalid_state_error("generator ignored generator_exit: it yielded during close()");
        }
    }

    /// What the body returned. invalid_state_error until it has returned.
    template <class R = Return>
    requires(!std::is_void_v<R>) R& return_value() {
        if (!s_ || !s_->returned) throw invalid_state_error("the generator has not returned a value");
        return *s_->returned;
    }

    class iterator {
    public:
        using value_type = Yield;
        using difference_type = std::ptrdiff_t;
        using reference = Yield&;
        using iterator_concept = std::input_iterator_tag;

        iterator() noexcept = default;
        reference operator*() const noexcept { return *g_->last_; }
        iterator& operator++() {
            g_->last_ = g_->resume(nullptr);
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& i, std::default_sentinel_t) noexcept { return i.at_end(); }

    private:
        friend class fiber_generator;
        explicit iterator(fiber_generator* g) noexcept : g_(g) {}
        bool at_end() const noexcept { return !g_->last_; }
        fiber_generator* g_ = nullptr;
    };

    /// Range-for: begin() runs to the first yield; iteration ends when the body returns,
    /// rethrowing what escapes it. Values are handed out by reference, in place.
    iterator begin() {
        last_ = resume(nullptr);
        return iterator(this);
    }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    /// The body, its fiber and what passes between them; heap-allocated so that moving
    /// the generator does not move what the fiber points to.
    struct frame {
        template <class Body>
        frame(std::size_t stack_size, Body&& b)
            : body(std::forward<Body>(b)), ctx(nullptr, stack_size, &frame::entry, this), y(ctx) {}
        ~frame() { ctx.unwind(); }

        static void entry(void* arg) noexcept {
            auto* self = static_cast<frame*>(arg);
            try {
                if constexpr (std::is_void_v<Return>)
                    self->body(self->y);
                else
                    self->returned.emplace(self->body(self->y));
            } catch (const detail::fiber_unwind&) {
            } catch (...) {
                self->escaped = std::current_exception();
            }
            self->closed = true;
        }

        detail::unique_function<Return(yielder_type&)> body;
        detail::fiber_context ctx;
        yielder_type y;
        std::conditional_t<std::is_void_v<Return>, bool, std::optional<Return>> returned{};
        std::exception_ptr escaped;
        bool running = false;
        bool closed = false;
    };
    template <class, class>
    friend class yielder;

    void check_resumable() const {
        if (s_ && s_->running) throw invalid_state_error("generator already executing");
    }

    /// Runs the body to its next yield; returns the yielded value in place, or null once it
    /// finished (rethrowing what escaped it).
    Yield* resume(std::exception_ptr inject) {
        check_resumable();
        if (!s_ || s_->closed) return nullptr;
        s_->y.injected_ = std::move(inject);
        s_->running = true;
        struct not_running {
            bool& r;
            ~not_running() { r = false; }
        } guard{s_->running};
        s_->ctx.resume();
        if (s_->closed) {
            if (std::exception_ptr e = std::exchange(s_->escaped, nullptr)) std::rethrow_exception(e);
            return nullptr;
        }
        return s_->y.current_;
    }

    static std::optional<Yield> take(Yield* v) {
        if (!v) return std::nullopt;
        return std::optional<Yield>(std::move(*v));
    }

    std::unique_ptr<frame> s_;
    const std::type_info* body_type_ = nullptr;  // for to_string()
    Yield* last_ = nullptr;
};

template <class Yield, class Send>
template <class R>
R yielder<Yield, Send>::yield_from(fiber_generator<Yield, Send, R>& sub) {
    std::optional<Yield> item = sub.next();
    while (item) {
        std::exception_ptr thrown;
        [[maybe_unused]] std::optional<std::conditional_t<std::is_void_v<Send>, bool, Send>> sent;
        try {
            if constexpr (std::is_void_v<Send>) {
                yield(std::move(*item));
            } else {
                sent = yield(std::move(*item));
            }
        } catch (const detail::fiber_unwind&) {
            throw;
        } catch (const generator_exit&) {
            sub.close();
            throw;
        } catch (...) {
            thrown = std::current_exception();
        }
        if (thrown) {
            item = sub.throw_(thrown);
        } else if constexpr (std::is_void_v<Send>) {
            item = sub.next();
        } else {
            item = sent ? sub.send(std::move(*sent)) : sub.next();
        }
    }
    if constexpr (!std::is_void_v<R>) return std::move(sub.return_value());
}

}  // namespace corolla
