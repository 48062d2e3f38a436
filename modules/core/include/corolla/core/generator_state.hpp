// generator_state: the vocabulary both generator kinds share (the stackless generator of
// the coroutine adapter and the stackful one of the other adapter), Python's
// inspect.getgeneratorstate, and their printed form. Style-free, so that neither adapter
// depends on the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace corolla {

/// inspect.getgeneratorstate: created (not started), running (executing its body, or
/// delegated to by a generator that is), suspended (at a yield), closed (returned,
/// failed, closed, or moved from).
enum class generator_state : std::uint8_t { created, running, suspended, closed };

namespace detail {

/// Python's repr of a generator, "<generator object fibo at 0x...>": `signature` is the
/// generator function's full signature (source_location::function_name()); Python shows
/// only the function's own name.
inline std::string generator_repr(std::string_view signature, const void* address) {
    std::string_view name = signature;
    if (name.ends_with(')'))  // drop the parameter list, which may itself hold parentheses
        for (std::size_t i = name.size(), depth = 0; i-- > 0;) {
            if (name[i] == ')') ++depth;
            if (name[i] == '(' && --depth == 0) {
                name = name.substr(0, i);
                break;
            }
        }
    if (auto colons = name.rfind("::"); colons != std::string_view::npos) name.remove_prefix(colons + 2);
    if (auto space = name.rfind(' '); space != std::string_view::npos) name.remove_prefix(space + 1);
    char at[2 * sizeof(void*) + 3];
    std::snprintf(at, sizeof at, "%p", address);
    return "<generator object " + std::string(name.empty() ? "generator" : name) + " at " + at + ">";
}

}  // namespace detail

}  // namespace corolla
