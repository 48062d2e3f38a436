// The typed errors of the process module: what create_subprocess_exec / _shell throw when
// the child cannot be started (asyncio raises FileNotFoundError, PermissionError), and
// what signalling a child that was already reaped throws (ProcessLookupError).
#pragma once

#include <string>

#include <corolla/net/errors.hpp>

namespace corolla::subprocess {

/// ENOENT / ENOTDIR: the program, or the working directory, does not exist.
class file_not_found_error : public net::os_error {
public:
    using os_error::os_error;
};

/// EACCES / EPERM: the program is not executable, or a directory on the way is not searchable.
class permission_error : public net::os_error {
public:
    using os_error::os_error;
};

/// ESRCH: the child was reaped already, so its pid may belong to another process now.
class process_lookup_error : public net::os_error {
public:
    using os_error::os_error;
};

/// Throws the error that fits `code` (an errno) for the call `what`: one of the above, or
/// net::os_error.
[[noreturn]] void throw_process_error(int code, const std::string& what);

}  // namespace corolla::subprocess
