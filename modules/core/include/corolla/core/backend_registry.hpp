// The registry of backends compiled into (or registered with) this program. Each backend
// library registers itself at start-up; a user can register a backend of their own the
// same way, and it is then chosen by name exactly like a built-in one.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <corolla/core/selector.hpp>

namespace corolla {

/// How to make and probe one backend.
struct backend_info {
    std::string name;
    /// Higher wins when the backend is chosen automatically.
    int priority = 0;
    /// False for backends `auto` never picks on its own (io_uring): only by name, or
    /// when the build made it the default.
    bool auto_eligible = true;
    /// Can this backend run on this host right now? (e.g. io_uring disabled by a sandbox)
    std::function<bool()> probe = [] { return true; };
    std::function<std::unique_ptr<selector>()> make;
};

/// Adds (or replaces, by name) a backend. Thread-safe.
void register_backend(backend_info info);

/// Names of all registered backends, best first.
std::vector<std::string> registered_backends();

/// Names of registered backends whose probe succeeds, best first.
std::vector<std::string> available_backends();

/// The backend the build made default ("auto" unless a preset chose one).
std::string_view default_backend_name() noexcept;

/// Resolves a request to a concrete backend name: "" means the COROLLA_BACKEND
/// environment variable if set, else the build default; "auto" means the best available
/// auto-eligible backend. Throws backend_unavailable_error naming what is missing.
std::string resolve_backend(std::string_view requested);

/// Makes a selector for `requested` (resolved as above).
std::unique_ptr<selector> make_selector(std::string_view requested);

}  // namespace corolla
