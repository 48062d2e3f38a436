// A growable FIFO ring buffer (power-of-two capacity) for the ready queue: push and pop
// are an index mask away, and memory is reused across iterations.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace corolla::detail {

template <class T>
class ring {
public:
    bool empty() const noexcept { return head_ == tail_; }
    std::size_t size() const noexcept { return tail_ - head_; }

    void push(T v) {
        if (size() == cap_) grow();
        buf_[tail_++ & (cap_ - 1)] = std::move(v);
    }
    T& front() noexcept { return buf_[head_ & (cap_ - 1)]; }
    T pop() noexcept { return std::move(buf_[head_++ & (cap_ - 1)]); }
    T& at(std::size_t i) noexcept { return buf_[(head_ + i) & (cap_ - 1)]; }
    const T& at(std::size_t i) const noexcept { return buf_[(head_ + i) & (cap_ - 1)]; }

private:
    void grow() {
        const std::size_t ncap = cap_ ? cap_ * 2 : 64;
        auto nbuf = std::make_unique<T[]>(ncap);
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i)
            nbuf[i] = std::move(at(i));
        buf_ = std::move(nbuf);
        cap_ = ncap;
        head_ = 0;
        tail_ = n;
    }

    std::unique_ptr<T[]> buf_;
    std::size_t cap_ = 0;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

}  // namespace corolla::detail
