// A move-only type-erased callable with small-buffer storage (std::move_only_function
// is C++23). Callables up to three pointers large that are nothrow-movable are stored
// inline; larger ones go to the heap.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace corolla::detail {

template <class Signature>
class unique_function;

template <class R, class... Args>
class unique_function<R(Args...)> {
    static constexpr std::size_t inline_size = 3 * sizeof(void*);
    struct ops {
        R (*call)(void*, Args&&...);
        void (*move_to)(void* from, void* to) noexcept;  // leaves `from` destroyed
        void (*destroy)(void*) noexcept;
    };

    template <class F>
    static constexpr bool fits_inline =
        sizeof(F) <= inline_size && alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

    template <class F>
    static const ops* ops_for() noexcept {
        if constexpr (fits_inline<F>) {
            static constexpr ops o{
                [](void* s, Args&&... a) -> R { return (*static_cast<F*>(s))(std::forward<Args>(a)...); },
                [](void* from, void* to) noexcept {
                    ::new (to) F(std::move(*static_cast<F*>(from)));
                    static_cast<F*>(from)->~F();
                },
                [](void* s) noexcept { static_cast<F*>(s)->~F(); }};
            return &o;
        } else {
            static constexpr ops o{
                [](void* s, Args&&... a) -> R { return (**static_cast<F**>(s))(std::forward<Args>(a)...); },
                [](void* from, void* to) noexcept { *static_cast<F**>(to) = *static_cast<F**>(from); },
                [](void* s) noexcept { delete *static_cast<F**>(s); }};
            return &o;
        }
    }

public:
    unique_function() noexcept = default;
    template <class F, class D = std::decay_t<F>,
              class = std::enable_if_t<!std::is_same_v<D, unique_function> && std::is_invocable_r_v<R, D&, Args...>>>
    unique_function(F&& f) : ops_(ops_for<D>()) {  // NOLINT: implicit like std::function
        if constexpr (fits_inline<D>)
            ::new (static_cast<void*>(&storage_)) D(std::forward<F>(f));
        else
            *reinterpret_cast<D**>(&storage_) = new D(std::forward<F>(f));
    }
    unique_function(unique_function&& o) noexcept : ops_(std::exchange(o.ops_, nullptr)) {
        if (ops_) ops_->move_to(&o.storage_, &storage_);
    }
    unique_function& operator=(unique_function&& o) noexcept {
        if (this != &o) {
            reset();
            ops_ = std::exchange(o.ops_, nullptr);
            if (ops_) ops_->move_to(&o.storage_, &storage_);
        }
        return *this;
    }
    ~unique_function() { reset(); }

    void reset() noexcept {
        if (ops_) std::exchange(ops_, nullptr)->destroy(&storage_);
    }
    explicit operator bool() const noexcept { return ops_ != nullptr; }
    R operator()(Args... args) { return ops_->call(&storage_, std::forward<Args>(args)...); }

private:
    const ops* ops_ = nullptr;
    alignas(std::max_align_t) unsigned char storage_[inline_size];
};

}  // namespace corolla::detail
