// fd callbacks (add_reader / add_writer) and I/O requests: queued on their fd until it is
// ready and performed then (readiness backends), or submitted to a completion backend and
// delivered when it reports them; release_fd for an fd about to be closed.
#include "loop_impl.hpp"

namespace corolla::detail {

void loop_impl::set_fd_callback(int fd, std::uint32_t dir, handle_ptr h) {
    check_open();
    check_thread();
    fd_slot& s = slot_for(fd);
    handle_base*& target = dir == readable ? s.reader : s.writer;
    if (target)
        throw already_registered_error("fd " + std::to_string(fd) + " already has a " +
                                       (dir == readable ? "reader" : "writer"));
    sync_interest(fd, s, s.registered | dir);
    target = h.get();
    h->add_ref();
    ++(dir == readable ? readers_ : writers_);
}

bool loop_impl::remove_fd_callback(int fd, std::uint32_t dir) {
    if (closed_.load(std::memory_order_acquire)) return false;
    check_thread();
    if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return false;
    fd_slot& s = fds_[fd];
    handle_base*& target = dir == readable ? s.reader : s.writer;
    if (!target) return false;
    handle_base* h = std::exchange(target, nullptr);
    --(dir == readable ? readers_ : writers_);
    // Deregister before releasing: if the selector throws, the slot stays consistent
    // with the selector (the callback is gone either way).
    try {
        sync_interest(fd, s, s.wanted());
    } catch (...) {
        h->cancel();
        h->release();
        throw;
    }
    // The fd's user let go of it and may close it: an error held for it must not reach a
    // file opened under the same number later.
    if (s.wanted() == 0) s.socket_error = 0;
    h->cancel();
    h->release();
    return true;
}

void loop_impl::submit_io(io_request& r) {
    check_open();
    check_thread();
    const int fd = r.args.fd;
    fd_slot& s = slot_for(fd);
    const int dir = r.args.reads() ? 0 : 1;
    if (comp_ && comp_->submit(r)) {
        r.in_kernel = true;
        s.kernel[dir].push(r);
        ++io_pending_;
        return;
    }
    sync_interest(fd, s, s.registered | (dir == 0 ? readable : writable));
    s.lines[dir].push(r);
    ++io_pending_;
}

void loop_impl::cancel_io_and_wait(io_request& r) noexcept {
    if (!comp_ || !r.in_kernel) return;
    comp_->cancel_and_wait(r);
    take_completions();
}

/// Delivers what the completion backend finished: like run_line for the readiness path.
void loop_impl::take_completions() {
    if (!comp_) return;
    completed_.clear();
    comp_->take_completed(completed_);
    for (io_request* r : completed_)
        finish_kernel(*r);
    completed_.clear();
}

void loop_impl::finish_kernel(io_request& r) {
    intrusive_ptr<io_request> backend_ref = intrusive_ptr<io_request>::adopt(&r);
    fd_slot& s = fds_[r.args.fd];
    const int dir = r.args.reads() ? 0 : 1;
    if (r.linked) {
        s.kernel[dir].unlink(r);
        r.release();  // the kernel line's reference; backend_ref keeps it alive
    }
    r.in_kernel = false;
    --io_pending_;
    if (r.done()) return;
    if (r.failure) {
        r.set_exception(r.failure);
        return;
    }
    if (r.cancel_requested && r.args.err == ECANCELED) {
        r.abort(r.cancel_message);
        return;
    }
    if (dir == 0) note_read(s, r.args, true);
    if (r.on_done && !r.on_done(r)) {
        if (r.cancel_requested) {
            r.abort(r.cancel_message);  // what the hook took is kept by its owner
            return;
        }
        if (comp_->submit(r)) {  // the next chunk, in the kernel again
            r.in_kernel = true;
            s.kernel[dir].push(r);
            ++io_pending_;
            return;
        }
        // A kind the backend stopped taking (it cannot happen for a kind it took):
        // fall back to readiness.
        sync_interest(r.args.fd, s, s.registered | (dir == 0 ? readable : writable));
        s.lines[dir].push(r);
        ++io_pending_;
        return;
    }
    r.set_result();
}

void loop_impl::withdraw_io(io_request& r) noexcept {
    if (!r.linked || r.in_kernel) return;
    fd_slot& s = fds_[r.args.fd];
    s.lines[r.args.reads() ? 0 : 1].unlink(r);
    --io_pending_;
    r.release();  // the line's reference; the canceller holds another
    // The selector keeps the interest; the next event nobody waits for drops it.
}

void loop_impl::release_fd(int fd, std::exception_ptr (*make_error)()) noexcept {
    if (closed_.load(std::memory_order_acquire) || fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
    fd_slot& s = fds_[fd];
    for (io_line& line : s.lines)
        while (io_request* r = line.head) {
            line.unlink(*r);
            --io_pending_;
            try {
                r->set_exception(make_error());
            } catch (...) {  // out of memory making the error: the waiter still wakes
                r->abort("file descriptor released");
            }
            r->release();
        }
    for (io_line& line : s.kernel)
        for (io_request* r = line.head; r; r = r->next) {
            if (!r->failure) {
                try {
                    r->failure = make_error();
                } catch (...) {
                }
            }
            r->cancel_requested = true;
            try {
                comp_->cancel(*r);  // completes later, with the failure
            } catch (...) {
            }
        }
    s.read_drained = false;
    s.socket_error = 0;
    if (comp_) comp_->release(fd);
    try {
        sync_interest(fd, s, s.callbacks());
    } catch (...) {  // the fd is going away; the selector forgets it with it
        s.registered = s.callbacks();
    }
}

}  // namespace corolla::detail
