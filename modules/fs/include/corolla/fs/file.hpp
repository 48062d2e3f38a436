// Files with asynchronous I/O (asyncio has none; this is libuv's fs and aiofiles' model):
// open_file, then read / write / pread / pwrite / fsync / close, each an operation awaited
// the same way from both styles,
//
//     fs::file f = co_await fs::open_file("data.bin", "r");      // corolla::await(...) in a fiber
//     std::string chunk = co_await f.read(65536);                 // "" at EOF
//
// On io_uring the kernel performs reads, writes and fsyncs natively; elsewhere (regular
// files are always "ready", so readiness cannot help) they run on the loop's default
// executor, like asyncio.to_thread. open, stat and close run on that executor everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <sys/stat.h>

#include <corolla/core/detail/io_request.hpp>
#include <corolla/core/detail/loop_anchor.hpp>
#include <corolla/core/future.hpp>
#include <corolla/core/operation.hpp>
#include <corolla/fs/errors.hpp>

namespace corolla::fs {

class file;

namespace detail {

using corolla::detail::future_base;
using corolla::detail::intrusive_ptr;
using corolla::detail::io_args;
using corolla::detail::io_kind;
using corolla::detail::io_request;

/// An fd that closes itself (a pool job's result that nobody may take: a cancelled open).
class owned_fd {
public:
    explicit owned_fd(int fd = -1) noexcept : fd_(fd) {}
    owned_fd(owned_fd&& o) noexcept : fd_(o.release()) {}
    owned_fd& operator=(owned_fd&&) = delete;
    ~owned_fd();
    int get() const noexcept { return fd_; }
    int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

/// The fd of an open file, shared by the file and every operation or pool job still using
/// it: closed when the last of them lets go, so the number is never reused under a job or
/// a kernel request that still names it.
struct file_handle {
    explicit file_handle(int f) noexcept : fd(f) {}
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    ~file_handle();
    int fd;
    bool native = false;  ///< the loop's completion backend performs pread / pwrite / fsync
    bool closed = false;  ///< close() was called (loop thread only)
};

/// What a pool job performs and brings back (the thread-pool twin of io_args).
struct blocking_call {
    io_kind kind = io_kind::pread;
    std::int64_t offset = -1;
    std::size_t len = 0;
    int flags = 0;
    std::string data;  ///< pwrite: the bytes; pread: what was read
    long res = 0;
    int err = 0;
};

/// How much of a native write-all went through (stable across moves of the operation).
struct write_progress {
    const char* base = nullptr;
    std::size_t total = 0;
    std::size_t done = 0;
};

/// The shared part of the file operations: native request or pool job, and the outcome.
class file_op : public corolla::operation_base {
public:
    file_op(const file& f, io_kind kind, const char* what);
    file_op(file_op&&) noexcept = default;
    file_op& operator=(file_op&&) = delete;
    /// Waits for a native request still in the kernel to let go of the buffers.
    ~file_op();

protected:
    /// Starts the prepared args_ (len, offset, flags; data_ holds the bytes to write) on
    /// `loop`. Never completes at once.
    future_base* submit(event_loop& loop, std::span<std::byte> into = {});
    /// The outcome: the byte count, or throws (cancellation, closed file, os_error). With a
    /// result and `injected`, the cancellation is deferred to the next suspension point.
    long settle(const std::exception_ptr& injected);

    std::shared_ptr<file_handle> handle_;
    event_loop* loop_;
    const char* what_;
    io_args args_{};
    std::string data_;     ///< the bytes to write, or those read (native read into the op, or any pool read)
    bool whole_ = false;   ///< write everything, not one write(2)
    bool pooled_ = false;  ///< runs on the executor (else natively, or done at once)
    std::unique_ptr<write_progress> progress_;
    intrusive_ptr<io_request> req_;
    future<blocking_call> pool_;
};

}  // namespace detail

/// read / pread: up to n bytes as a string; "" at EOF.
class read_op : public detail::file_op {
public:
    using result_type = std::string;
    read_op(const file& f, std::size_t n, std::int64_t offset);
    corolla::detail::future_base* start(event_loop& loop);
    std::string finish(std::exception_ptr injected);
};

/// read_into: reads into `buf` (valid until the operation ends); returns the count, 0 at EOF.
class read_into_op : public detail::file_op {
public:
    using result_type = std::size_t;
    read_into_op(const file& f, std::span<std::byte> buf);
    corolla::detail::future_base* start(event_loop& loop);
    std::size_t finish(std::exception_ptr injected);

private:
    std::span<std::byte> buf_;
};

/// write / pwrite: writes all of `data` (copied); returns its size.
class write_op : public detail::file_op {
public:
    using result_type = std::size_t;
    write_op(const file& f, std::string_view data, std::int64_t offset);
    corolla::detail::future_base* start(event_loop& loop);
    std::size_t finish(std::exception_ptr injected);
};

/// fsync / fdatasync.
class sync_op : public detail::file_op {
public:
    using result_type = void;
    sync_op(const file& f, bool data_only);
    corolla::detail::future_base* start(event_loop& loop);
    void finish(std::exception_ptr injected);
};

/// stat (fstat on the executor).
class stat_op : public corolla::operation_base {
public:
    using result_type = struct ::stat;
    explicit stat_op(const file& f);
    corolla::detail::future_base* start(event_loop& loop);
    struct ::stat finish(std::exception_ptr injected);

private:
    std::shared_ptr<detail::file_handle> handle_;
    future<struct ::stat> pool_;
};

/// size: the file's size in bytes (stat's st_size).
class size_op : public corolla::operation_base {
public:
    using result_type = std::uint64_t;
    explicit size_op(const file& f) : stat_(f) {}
    corolla::detail::future_base* start(event_loop& loop) { return stat_.start(loop); }
    std::uint64_t finish(std::exception_ptr injected) {
        return static_cast<std::uint64_t>(stat_.finish(std::move(injected)).st_size);
    }

private:
    stat_op stat_;
};

/// close: the file is closed for its user at once; close(2) runs on the executor (once no
/// operation uses the fd any more), and its error, if any, is thrown here.
class close_op : public corolla::operation_base {
public:
    using result_type = void;
    explicit close_op(file& f) noexcept : file_(&f) {}
    corolla::detail::future_base* start(event_loop& loop);
    void finish(std::exception_ptr injected);

private:
    file* file_;
    future<int> pool_;  ///< close(2)'s errno, 0 when it succeeded
};

/// open_file's operation; see open_file.
class open_op : public corolla::operation_base {
public:
    using result_type = file;
    open_op(std::string path, int flags, mode_t perms, event_loop* loop) noexcept
        : path_(std::move(path)), flags_(flags), perms_(perms), loop_(loop) {}
    corolla::detail::future_base* start(event_loop& loop);
    file finish(std::exception_ptr injected);

private:
    std::string path_;
    int flags_;
    mode_t perms_;
    event_loop* loop_;  ///< the loop named by the caller, or null (the awaiting task's)
    future<detail::owned_fd> pool_;
};

/// An open file, bound to the loop that opened it. Move-only; destroying an open file
/// closes it (synchronously, unless an operation still uses the fd: then with the last one).
///
/// Position: read / read_into / write use and advance the file position, as a Python file
/// opened unbuffered in binary mode ("rb", buffering=0). Issue one of them at a time per
/// file: concurrent ones are neither ordered nor kept apart (as threads sharing an fd);
/// pread / pwrite take their offset and leave the position alone, so any number may run
/// at once. A file opened for appending writes at the end whatever the position.
///
/// Cancellation: on io_uring a cancelled operation is cancelled in the kernel; if the
/// kernel finished it first the await returns its result and the cancellation comes at the
/// next suspension point. On the executor a read or write that started cannot be
/// interrupted (as asyncio.to_thread): the await ends cancelled at once, the call finishes
/// in the background on the operation's own copy of the data, and its result is dropped.
/// The position then reflects what it read or wrote. Either way the caller's buffers are
/// never touched after the await ended.
class file {
public:
    file() noexcept = default;
    file(file&& o) noexcept;
    file& operator=(file&& o) noexcept;
    ~file();

    bool is_open() const noexcept { return handle_ != nullptr; }
    /// The fd, or -1 when closed.
    int fileno() const noexcept { return handle_ ? handle_->fd : -1; }
    /// True when the loop's backend performs reads, writes and fsyncs natively (io_uring).
    bool native() const noexcept { return handle_ && handle_->native; }

    /// Reads up to n bytes at the position; "" at EOF.
    read_op read(std::size_t n) const { return read_op(*this, n, -1); }
    /// Reads into buf at the position; the count, 0 at EOF.
    read_into_op read_into(std::span<std::byte> buf) const { return read_into_op(*this, buf); }
    /// Writes all of data at the position (data is copied); returns data.size().
    write_op write(std::string_view data) const { return write_op(*this, data, -1); }
    /// Reads up to n bytes at offset; "" past EOF.
    read_op pread(std::size_t n, std::uint64_t offset) const;
    /// Writes all of data at offset; returns data.size().
    write_op pwrite(std::string_view data, std::uint64_t offset) const;
    /// fsync(2): data and metadata reach the device.
    sync_op fsync() const { return sync_op(*this, false); }
    /// fdatasync(2): the data (and the metadata needed to read it back) reach the device.
    sync_op fdatasync() const { return sync_op(*this, true); }
    /// fstat(2) on the executor.
    stat_op stat() const { return stat_op(*this); }
    /// The size in bytes.
    size_op size() const { return size_op(*this); }
    /// Closes the file; see close_op. Closing a closed file does nothing.
    close_op close() noexcept { return close_op(*this); }

    /// lseek(2), at once (it never blocks): the new position. Throws os_error.
    std::uint64_t seek(std::int64_t offset, int whence = 0 /* SEEK_SET */);
    /// The position.
    std::uint64_t tell() const;

private:
    friend class detail::file_op;
    friend class stat_op;
    friend class close_op;
    friend class open_op;

    /// Lets go of the fd: cancels native requests waiting in the kernel and returns the
    /// handle (null when closed).
    std::shared_ptr<detail::file_handle> detach() noexcept;

    std::shared_ptr<detail::file_handle> handle_;
    event_loop* loop_ = nullptr;
    std::shared_ptr<corolla::detail::loop_anchor> anchor_;
};

/// Opens `path` with open(2) `flags` (O_CLOEXEC is added) and, when creating, `perms`
/// (less the umask). The file is bound to the awaiting task's loop. Errors: the os_error
/// subclass of errors.hpp that fits (file_not_found_error, permission_error,
/// is_a_directory_error, ...).
open_op open_file(std::string path, int flags, mode_t perms = 0644);
/// Opens with a Python mode string: "r", "w", "a", "x", each optionally with "+"; a "b" is
/// accepted and ignored (files are always binary). Throws value_error for another mode.
open_op open_file(std::string path, std::string_view mode = "r", mode_t perms = 0644);
/// The same, bound to `loop`: awaited from a task on another loop it throws invalid_state_error.
open_op open_file(event_loop& loop, std::string path, int flags, mode_t perms = 0644);
open_op open_file(event_loop& loop, std::string path, std::string_view mode = "r", mode_t perms = 0644);

/// The open(2) flags for a Python mode string (see open_file); throws value_error.
int parse_mode(std::string_view mode);

}  // namespace corolla::fs
