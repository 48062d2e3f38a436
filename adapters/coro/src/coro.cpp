// The non-template part of the coroutine adapter: how a coroutine is named in a task's
// printed form.
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

#include <string_view>

namespace corolla::detail {

namespace {

std::string located(std::string name, const std::source_location& where) {
    constexpr std::string_view anon = "{anonymous}::";
    for (auto p = name.find(anon); p != std::string::npos; p = name.find(anon))
        name.erase(p, anon.size());
    std::string_view file = where.file_name();
    if (auto slash = file.rfind('/'); slash != std::string_view::npos) file.remove_prefix(slash + 1);
    return name + " at " + std::string(file) + ":" + std::to_string(where.line());
}

}  // namespace

std::string coroutine_name(const std::source_location& where) {
    std::string_view f = where.function_name();
    if (f.empty()) return "coroutine";
    // Drop the return type: everything up to the first space outside <...> and (...).
    int depth = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
        char c = f[i];
        if (c == '<' || c == '(') ++depth;
        if (c == '>' || c == ')') --depth;
        if (c == ' ' && depth == 0) {
            f.remove_prefix(i + 1);
            break;
        }
        if (c == '(' && depth == 1) break;  // reached the parameters: no return type shown
    }
    // Replace a trailing parameter list with "()".
    if (!f.empty() && f.back() == ')') {
        depth = 0;
        for (std::size_t i = f.size(); i-- > 0;) {
            if (f[i] == ')') ++depth;
            if (f[i] == '(' && --depth == 0) {
                return located(std::string(f.substr(0, i)) + "()", where);
            }
        }
    }
    return located(std::string(f), where);
}

}  // namespace corolla::detail
