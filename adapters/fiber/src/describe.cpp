#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>

#include <corolla/fiber/detail/fiber_context.hpp>

namespace corolla::detail {
namespace {

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

}  // namespace

std::string describe_callable(const void* function_address, const std::type_info& type) {
    if (function_address) {
        Dl_info info{};
        if (::dladdr(function_address, &info) != 0 && info.dli_sname) return demangle(info.dli_sname);
    }
    return demangle(type.name());
}

}  // namespace corolla::detail
