// A minimal intrusive reference-counted pointer for loop-thread objects (handles, future
// states). The count is a plain integer: these objects are owned and released on the
// loop's thread only, so an atomic would cost without protecting anything.
#pragma once

#include <cstdint>
#include <utility>

namespace corolla::detail {

/// Base for objects managed by intrusive_ptr. Not thread-safe by design.
class ref_counted {
public:
    ref_counted() = default;
    ref_counted(const ref_counted&) = delete;
    ref_counted& operator=(const ref_counted&) = delete;

    void add_ref() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) destroy();
    }
    std::uint32_t use_count() const noexcept { return refs_; }

protected:
    virtual ~ref_counted() = default;
    /// Frees the object; overridable so pooled objects return to their pool.
    virtual void destroy() noexcept { delete this; }

private:
    std::uint32_t refs_ = 0;
};

template <class T>
class intrusive_ptr {
public:
    intrusive_ptr() noexcept = default;
    explicit intrusive_ptr(T* p) noexcept : p_(p) {
        if (p_) p_->add_ref();
    }
    intrusive_ptr(const intrusive_ptr& o) noexcept : intrusive_ptr(o.p_) {}
    intrusive_ptr(intrusive_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    template <class U>
    intrusive_ptr(intrusive_ptr<U> o) noexcept : p_(o.detach()) {}
    ~intrusive_ptr() {
        if (p_) p_->release();
    }
    intrusive_ptr& operator=(intrusive_ptr o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }

    /// Adopts a pointer whose reference the caller already owns.
    static intrusive_ptr adopt(T* p) noexcept {
        intrusive_ptr r;
        r.p_ = p;
        return r;
    }
    void reset() noexcept { intrusive_ptr().swap_with(*this); }
    void swap_with(intrusive_ptr& o) noexcept { std::swap(p_, o.p_); }
    /// Gives up ownership without releasing.
    T* detach() noexcept { return std::exchange(p_, nullptr); }

    T* get() const noexcept { return p_; }
    T* operator->() const noexcept { return p_; }
    T& operator*() const noexcept { return *p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    friend bool operator==(const intrusive_ptr& a, const intrusive_ptr& b) noexcept { return a.p_ == b.p_; }

private:
    T* p_ = nullptr;
};

}  // namespace corolla::detail
