#include <corolla/fs/errors.hpp>

#include <cerrno>

namespace corolla::fs {

void throw_fs_error(int code, const std::string& what) {
    switch (code) {
    case ENOENT: throw file_not_found_error(code, what);
    case EEXIST: throw file_exists_error(code, what);
    case EACCES:
    case EPERM: throw permission_error(code, what);
    case EISDIR: throw is_a_directory_error(code, what);
    case ENOTDIR: throw not_a_directory_error(code, what);
    default: net::throw_os_error(code, what);
    }
}

}  // namespace corolla::fs
