// The typed errors of the fs module (Python's OSError subclasses for files). Every failed
// file call throws one of these, or net::os_error carrying the errno for the rest.
#pragma once

#include <string>

#include <corolla/core/errors.hpp>
#include <corolla/net/errors.hpp>

namespace corolla::fs {

/// A file call failed: code() is the errno, what() names the call (and the path).
using os_error = net::os_error;

/// ENOENT: no such file or directory (FileNotFoundError).
class file_not_found_error : public os_error {
public:
    using os_error::os_error;
};
/// EEXIST: the file exists, opened with "x" / O_EXCL (FileExistsError).
class file_exists_error : public os_error {
public:
    using os_error::os_error;
};
/// EACCES / EPERM: not allowed (PermissionError).
class permission_error : public os_error {
public:
    using os_error::os_error;
};
/// EISDIR: a directory where a file was wanted, e.g. opened for writing (IsADirectoryError).
class is_a_directory_error : public os_error {
public:
    using os_error::os_error;
};
/// ENOTDIR: a path component is not a directory (NotADirectoryError).
class not_a_directory_error : public os_error {
public:
    using os_error::os_error;
};

/// The file is closed: used after close(), or closed while the operation waited
/// (Python's "I/O operation on closed file").
class file_closed_error : public corolla::error {
public:
    explicit file_closed_error(const std::string& what = "I/O operation on a closed file") : error(what) {}
};

/// Throws the os_error subclass that fits `code` (an errno) for the call `what`.
[[noreturn]] void throw_fs_error(int code, const std::string& what);

}  // namespace corolla::fs
