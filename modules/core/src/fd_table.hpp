// The loop's table of fds: per fd, the reader and writer callbacks (add_reader /
// add_writer) and the lines of I/O requests waiting on it, for readiness or in a completion
// backend's kernel, with the interest the selector holds for it.
#pragma once

#include <cstdint>

#include <corolla/core/handle.hpp>
#include <corolla/core/selector.hpp>
#include <corolla/core/detail/io_request.hpp>

namespace corolla::detail {

// Requests waiting for one fd and direction, FIFO. The line owns one reference to each.
struct io_line {
    io_request* head = nullptr;
    io_request* tail = nullptr;
    bool empty() const noexcept { return head == nullptr; }
    void push(io_request& r) noexcept {
        r.add_ref();
        r.linked = true;
        r.next = nullptr;
        r.prev = tail;
        (tail ? tail->next : head) = &r;
        tail = &r;
    }
    /// Unlinks `r`; the caller takes over the line's reference.
    void unlink(io_request& r) noexcept {
        (r.prev ? r.prev->next : head) = r.next;
        (r.next ? r.next->prev : tail) = r.prev;
        r.prev = r.next = nullptr;
        r.linked = false;
    }
};

struct fd_slot {
    handle_base* reader = nullptr;  // each owns one reference
    handle_base* writer = nullptr;
    io_line lines[2];              // [0] waits for readable, [1] for writable
    io_line kernel[2];             // performed by a completion backend, same directions
    std::uint32_t registered = 0;  // the interest the selector has for this fd
    // A read request found the fd drained (a short read or EAGAIN) and no readiness was
    // reported since: the next read waits for readiness without trying the syscall first.
    bool read_drained = false;
    // A socket error the selector reported with an event (kqueue's fflags), which the
    // socket itself may no longer hold; the next operation that would meet it fails with
    // it (perform_io).
    int socket_error = 0;
    /// The interest the fd needs now: callbacks and waiting requests.
    std::uint32_t wanted() const noexcept {
        return (reader || !lines[0].empty() ? readable : 0u) | (writer || !lines[1].empty() ? writable : 0u);
    }
    std::uint32_t callbacks() const noexcept { return (reader ? readable : 0u) | (writer ? writable : 0u); }
};

}  // namespace corolla::detail
