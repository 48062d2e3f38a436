#include <corolla/process/errors.hpp>

#include <cerrno>

namespace corolla::subprocess {

void throw_process_error(int code, const std::string& what) {
    switch (code) {
    case ENOENT:
    case ENOTDIR: throw file_not_found_error(code, what);
    case EACCES:
    case EPERM: throw permission_error(code, what);
    case ESRCH: throw process_lookup_error(code, what);
    default: net::throw_os_error(code, what);
    }
}

}  // namespace corolla::subprocess
