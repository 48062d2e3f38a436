// The reads, writes and syncs: an io_request the completion backend performs natively
// (io_uring), or a blocking call on the loop's default executor that works on its own copy
// of the data.
#include <corolla/fs/file.hpp>

#include <cerrno>
#include <cstring>
#include <utility>

#include <unistd.h>

#include <corolla/core/detail/loop_access.hpp>
#include <corolla/core/to_thread.hpp>

namespace corolla::fs {

namespace detail {

namespace {

/// Performs `c` on `fd` on an executor thread: one read, or writes until everything is
/// written (or an error), or one sync.
void perform_blocking(int fd, blocking_call& c) noexcept {
    switch (c.kind) {
    case io_kind::pread: {
        ssize_t n;
        do {
            n = c.offset < 0 ? ::read(fd, c.data.data(), c.len)
                             : ::pread(fd, c.data.data(), c.len, static_cast<off_t>(c.offset));
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            c.err = errno;
            c.data.clear();
        } else {
            c.res = n;
            c.data.resize(static_cast<std::size_t>(n));
        }
        return;
    }
    case io_kind::pwrite: {
        std::size_t done = 0;
        while (done < c.data.size()) {
            const char* p = c.data.data() + done;
            const std::size_t left = c.data.size() - done;
            const ssize_t n =
                c.offset < 0 ? ::write(fd, p, left) : ::pwrite(fd, p, left, static_cast<off_t>(c.offset + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                c.err = errno;
                return;
            }
            if (n == 0) break;
            done += static_cast<std::size_t>(n);
        }
        c.res = static_cast<long>(done);
        return;
    }
    case io_kind::fsync: {
        const int rc = c.flags == 1 ? ::fdatasync(fd) : ::fsync(fd);
        if (rc < 0) c.err = errno;
        return;
    }
    default: c.err = EINVAL; return;
    }
}

/// on_done of a native write-all: points the request at the rest until all is written.
bool write_chunk_done(io_request& r) {
    auto* p = static_cast<write_progress*>(r.context);
    io_args& a = r.args;
    if (a.err != 0) return true;
    p->done += static_cast<std::size_t>(a.res);
    if (a.res > 0 && p->done < p->total) {
        a.buf = const_cast<char*>(p->base + p->done);
        a.len = p->total - p->done;
        if (a.offset >= 0) a.offset += a.res;
        return false;
    }
    a.res = static_cast<long>(p->done);
    return true;
}

}  // namespace

file_op::file_op(const file& f, io_kind kind, const char* what) : handle_(f.handle_), loop_(f.loop_), what_(what) {
    args_.kind = kind;
}

file_op::~file_op() {
    if (req_) req_->abandon();  // waits for the kernel to let go of the buffers
}

future_base* file_op::submit(event_loop& loop, std::span<std::byte> into) {
    if (!handle_ || handle_->closed) throw file_closed_error(std::string(what_) + ": the file is closed");
    if (&loop != loop_) throw invalid_state_error(std::string(what_) + ": the file belongs to another event loop");
    args_.fd = handle_->fd;
    if (!handle_->native) {
        pooled_ = true;
        blocking_call c;
        c.kind = args_.kind;
        c.offset = args_.offset;
        c.len = args_.len;
        c.flags = args_.flags;
        if (args_.kind == io_kind::pread)
            c.data.resize(args_.len);
        else
            c.data = std::move(data_);
        // The job holds the fd (it stays open, under its number) and owns its data: a
        // cancelled await leaves it running on nothing of the caller's.
        pool_ = run_in_executor(loop, [h = handle_, c = std::move(c)]() mutable {
            perform_blocking(h->fd, c);
            return std::move(c);
        });
        return pool_.state();
    }
    switch (args_.kind) {
    case io_kind::pread:
        if (into.empty()) {
            data_.resize(args_.len);
            args_.buf = data_.data();
        } else {
            args_.buf = into.data();
        }
        break;
    case io_kind::pwrite:
        args_.buf = data_.data();
        args_.len = data_.size();
        break;
    default: break;
    }
    // Nothing to transfer: done at once (a kernel read of 0 bytes would say the same).
    if (args_.kind != io_kind::fsync && args_.len == 0) {
        args_.res = 0;
        return nullptr;
    }
    req_ = intrusive_ptr<io_request>(new io_request(loop, args_));
    if (whole_) {
        progress_ = std::make_unique<write_progress>();
        progress_->base = data_.data();
        progress_->total = data_.size();
        req_->on_done = &write_chunk_done;
        req_->context = progress_.get();
    }
    corolla::detail::loop_access::submit_io(loop, *req_);
    return req_.get();
}

long file_op::settle(const std::exception_ptr& injected) {
    if (req_) {
        req_->value();  // throws the cancellation, or file_closed_error when closed meanwhile
        args_ = req_->args;
        // Cancelled while the kernel performed it, but it finished first.
        if (req_->cancel_requested && !injected && args_.err == 0) corolla::detail::defer_cancel(req_->cancel_message);
        req_.reset();
    } else if (pool_.valid()) {
        blocking_call& c = pool_.result();  // throws the cancellation
        args_.res = c.res;
        args_.err = c.err;
        data_ = std::move(c.data);
        pool_ = {};
    }
    if (args_.err != 0) {
        if (injected) std::rethrow_exception(injected);
        throw_fs_error(args_.err, what_);
    }
    corolla::detail::defer_cancel(injected);
    return args_.res;
}

}  // namespace detail

using corolla::detail::io_kind;

// --- read ------------------------------------------------------------------------------

read_op::read_op(const file& f, std::size_t n, std::int64_t offset)
    : file_op(f, io_kind::pread, offset < 0 ? "read" : "pread") {
    args_.len = n;
    args_.offset = offset;
}
corolla::detail::future_base* read_op::start(event_loop& loop) { return submit(loop); }
std::string read_op::finish(std::exception_ptr injected) {
    const long n = settle(injected);
    data_.resize(static_cast<std::size_t>(n));
    return std::move(data_);
}

read_into_op::read_into_op(const file& f, std::span<std::byte> buf)
    : file_op(f, io_kind::pread, "read_into"), buf_(buf) {
    args_.len = buf.size();
}
corolla::detail::future_base* read_into_op::start(event_loop& loop) { return submit(loop, buf_); }
std::size_t read_into_op::finish(std::exception_ptr injected) {
    const auto n = static_cast<std::size_t>(settle(injected));
    if (pooled_ && n > 0) std::memcpy(buf_.data(), data_.data(), n);  // the job read into its own buffer
    return n;
}

// --- write, sync -----------------------------------------------------------------------

write_op::write_op(const file& f, std::string_view data, std::int64_t offset)
    : file_op(f, io_kind::pwrite, offset < 0 ? "write" : "pwrite") {
    data_.assign(data);
    args_.offset = offset;
    whole_ = true;
}
corolla::detail::future_base* write_op::start(event_loop& loop) { return submit(loop); }
std::size_t write_op::finish(std::exception_ptr injected) { return static_cast<std::size_t>(settle(injected)); }

sync_op::sync_op(const file& f, bool data_only) : file_op(f, io_kind::fsync, data_only ? "fdatasync" : "fsync") {
    args_.flags = data_only ? 1 : 0;
}
corolla::detail::future_base* sync_op::start(event_loop& loop) { return submit(loop); }
void sync_op::finish(std::exception_ptr injected) { settle(injected); }

}  // namespace corolla::fs
