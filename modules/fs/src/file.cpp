// open_file, the file object, and the operations that run on the executor everywhere
// (open, stat, close).
#include <corolla/fs/file.hpp>

#include <cerrno>
#include <limits>
#include <mutex>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include <corolla/core/detail/loop_access.hpp>
#include <corolla/core/selector.hpp>
#include <corolla/core/to_thread.hpp>

namespace corolla::fs {

namespace detail {

owned_fd::~owned_fd() {
    if (fd_ >= 0) ::close(fd_);
}

file_handle::~file_handle() {
    if (fd >= 0) ::close(fd);  // on Linux the fd is released even when close reports EINTR
}

namespace {

std::exception_ptr closed_while_waiting() {
    return std::make_exception_ptr(file_closed_error("the file was closed while this operation waited"));
}

/// Whether `loop`'s backend performs every file request kind natively.
bool performs_file_io(event_loop& loop) {
    completion_io* c = loop.selector().completion();
    return c && c->performs(io_kind::pread) && c->performs(io_kind::pwrite) && c->performs(io_kind::fsync);
}

}  // namespace

}  // namespace detail

// --- file ------------------------------------------------------------------------------

file::file(file&& o) noexcept
    : handle_(std::move(o.handle_)), loop_(std::exchange(o.loop_, nullptr)), anchor_(std::move(o.anchor_)) {}

file& file::operator=(file&& o) noexcept {
    if (this != &o) {
        detach();
        handle_ = std::move(o.handle_);
        loop_ = std::exchange(o.loop_, nullptr);
        anchor_ = std::move(o.anchor_);
    }
    return *this;
}

file::~file() { detach(); }

std::shared_ptr<detail::file_handle> file::detach() noexcept {
    if (!handle_) return nullptr;
    handle_->closed = true;
    if (handle_->native && anchor_) {
        // Requests in the kernel fail with file_closed_error; the fd itself closes with
        // the last operation holding it (after the kernel let go of it).
        std::lock_guard lock(anchor_->mutex);
        if (anchor_->loop == loop_)
            corolla::detail::loop_access::release_fd(*loop_, handle_->fd, &detail::closed_while_waiting);
    }
    loop_ = nullptr;
    anchor_.reset();
    return std::move(handle_);
}

read_op file::pread(std::size_t n, std::uint64_t offset) const {
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw value_error("pread: offset out of range");
    return read_op(*this, n, static_cast<std::int64_t>(offset));
}

write_op file::pwrite(std::string_view data, std::uint64_t offset) const {
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw value_error("pwrite: offset out of range");
    return write_op(*this, data, static_cast<std::int64_t>(offset));
}

std::uint64_t file::seek(std::int64_t offset, int whence) {
    if (!handle_) throw file_closed_error("seek: the file is closed");
    const off_t r = ::lseek(handle_->fd, static_cast<off_t>(offset), whence);
    if (r < 0) throw_fs_error(errno, "seek");
    return static_cast<std::uint64_t>(r);
}

std::uint64_t file::tell() const {
    if (!handle_) throw file_closed_error("tell: the file is closed");
    const off_t r = ::lseek(handle_->fd, 0, SEEK_CUR);
    if (r < 0) throw_fs_error(errno, "tell");
    return static_cast<std::uint64_t>(r);
}

// --- open ------------------------------------------------------------------------------

int parse_mode(std::string_view mode) {
    int access = -1;
    int extra = 0;
    bool plus = false;
    for (char c : mode) {
        switch (c) {
        case 'r':
        case 'w':
        case 'a':
        case 'x':
            if (access != -1) throw value_error("open_file: bad mode '" + std::string(mode) + "'");
            access = c == 'r' ? 0 : 1;
            extra = c == 'w' ? O_CREAT | O_TRUNC : c == 'a' ? O_CREAT | O_APPEND : c == 'x' ? O_CREAT | O_EXCL : 0;
            break;
        case '+':
            if (plus) throw value_error("open_file: bad mode '" + std::string(mode) + "'");
            plus = true;
            break;
        case 'b': break;
        default: throw value_error("open_file: bad mode '" + std::string(mode) + "'");
        }
    }
    if (access == -1) throw value_error("open_file: bad mode '" + std::string(mode) + "'");
    return (plus ? O_RDWR : access == 0 ? O_RDONLY : O_WRONLY) | extra;
}

open_op open_file(std::string path, int flags, mode_t perms) { return open_op(std::move(path), flags, perms, nullptr); }
open_op open_file(std::string path, std::string_view mode, mode_t perms) {
    return open_op(std::move(path), parse_mode(mode), perms, nullptr);
}
open_op open_file(event_loop& loop, std::string path, int flags, mode_t perms) {
    return open_op(std::move(path), flags, perms, &loop);
}
open_op open_file(event_loop& loop, std::string path, std::string_view mode, mode_t perms) {
    return open_op(std::move(path), parse_mode(mode), perms, &loop);
}

corolla::detail::future_base* open_op::start(event_loop& loop) {
    if (loop_ && loop_ != &loop) throw invalid_state_error("open_file: awaited on another event loop than its own");
    loop_ = &loop;
    // The job's result owns the fd: an open whose await was cancelled, or whose operation
    // went away first, closes what it opened when the result is dropped.
    pool_ = run_in_executor(loop, [path = path_, flags = flags_, perms = perms_] {
        const int fd = ::open(path.c_str(), flags | O_CLOEXEC, perms);
        if (fd < 0) throw_fs_error(errno, "open '" + path + "'");
        return detail::owned_fd(fd);
    });
    return pool_.state();
}

file open_op::finish(std::exception_ptr injected) {
    detail::owned_fd& fd = pool_.result();  // throws the error, or the cancellation
    file f;
    f.handle_ = std::make_shared<detail::file_handle>(fd.release());
    f.handle_->native = detail::performs_file_io(*loop_);
    f.loop_ = loop_;
    f.anchor_ = corolla::detail::loop_access::anchor(*loop_);
    pool_ = {};
    corolla::detail::defer_cancel(injected);  // the file is the caller's now; it closes itself
    return f;
}

// --- stat, close -----------------------------------------------------------------------

stat_op::stat_op(const file& f) : handle_(f.handle_) {}

corolla::detail::future_base* stat_op::start(event_loop& loop) {
    if (!handle_ || handle_->closed) throw file_closed_error("stat: the file is closed");
    pool_ = run_in_executor(loop, [h = handle_] {
        struct ::stat st {};
        if (::fstat(h->fd, &st) < 0) throw_fs_error(errno, "stat");
        return st;
    });
    return pool_.state();
}

struct ::stat stat_op::finish(std::exception_ptr injected) {
    struct ::stat st = pool_.result();
    corolla::detail::defer_cancel(injected);
    return st;
}

corolla::detail::future_base* close_op::start(event_loop& loop) {
    std::shared_ptr<detail::file_handle> h = file_->detach();
    // Closed already, or an operation still holds the fd: it closes with the last one.
    if (!h || h.use_count() > 1) return nullptr;
    pool_ = run_in_executor(loop, [h = std::move(h)] {
        const int fd = std::exchange(h->fd, -1);
        return ::close(fd) == 0 || errno == EINTR ? 0 : errno;
    });
    return pool_.state();
}

void close_op::finish(std::exception_ptr injected) {
    if (pool_.valid()) {
        const int err = pool_.result();
        pool_ = {};
        if (err != 0) {
            if (injected) std::rethrow_exception(injected);
            throw_fs_error(err, "close");
        }
    }
    corolla::detail::defer_cancel(injected);
}

}  // namespace corolla::fs
