#include <corolla/core/backend_registry.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <corolla/config.hpp>  // COROLLA_DEFAULT_BACKEND, COROLLA_BUILT_BACKENDS
#include <corolla/core/errors.hpp>

namespace corolla {
namespace {

struct registry {
    std::mutex mutex;
    std::vector<backend_info> backends;  // sorted by priority, best first
};

registry& the_registry() {
    static registry r;
    return r;
}

std::vector<backend_info> snapshot() {
    auto& r = the_registry();
    std::lock_guard lock(r.mutex);
    return r.backends;
}

std::string join(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names)
        s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? "none" : s;
}

// A backend registers itself when its component is linked; a program that links only
// corolla::core has none, and is told which targets would give it one.
[[noreturn]] void throw_no_backend_linked() {
    std::vector<std::string> built;
    for (std::string_view rest = COROLLA_BUILT_BACKENDS; !rest.empty();) {
        const auto comma = std::min(rest.find(','), rest.size());
        built.emplace_back(rest.substr(0, comma));
        rest.remove_prefix(std::min(comma + 1, rest.size()));
    }
    std::string targets;
    for (const auto& b : built)
        targets += (targets.empty() ? "corolla::" : ", corolla::") + b;
    throw backend_unavailable_error("no backend linked into this program: link one of " +
                                    (targets.empty() ? std::string("the corolla backend targets") : targets) +
                                    " (compiled in this build: " + join(built) + ")");
}

}  // namespace

void register_backend(backend_info info) {
    if (info.name.empty() || !info.make)
        throw std::invalid_argument("register_backend: a backend needs a name and a factory");
    if (!info.probe) info.probe = [] { return true; };
    auto& r = the_registry();
    std::lock_guard lock(r.mutex);
    std::erase_if(r.backends, [&](const backend_info& b) { return b.name == info.name; });
    auto pos = std::find_if(r.backends.begin(), r.backends.end(),
                            [&](const backend_info& b) { return b.priority < info.priority; });
    r.backends.insert(pos, std::move(info));
}

std::vector<std::string> registered_backends() {
    std::vector<std::string> names;
    for (const auto& b : snapshot())
        names.push_back(b.name);
    return names;
}

std::vector<std::string> available_backends() {
    std::vector<std::string> names;
    for (const auto& b : snapshot())
        if (b.probe()) names.push_back(b.name);
    return names;
}

std::string_view default_backend_name() noexcept { return COROLLA_DEFAULT_BACKEND; }

std::string resolve_backend(std::string_view requested) {
    std::string want(requested);
    if (want.empty()) {
        const char* env = std::getenv("COROLLA_BACKEND");
        want = (env && *env) ? env : std::string(default_backend_name());
    }
    const auto all = snapshot();
    if (all.empty()) throw_no_backend_linked();
    if (want == "auto") {
        for (const auto& b : all)
            if (b.auto_eligible && b.probe()) return b.name;
        throw backend_unavailable_error("no backend can run on this host (compiled: " + join(registered_backends()) +
                                        ")");
    }
    auto it = std::find_if(all.begin(), all.end(), [&](const backend_info& b) { return b.name == want; });
    if (it == all.end())
        throw backend_unavailable_error(
            "backend '" + want + "' is not compiled into this program (compiled: " + join(registered_backends()) + ")");
    if (!it->probe())
        throw backend_unavailable_error(
            "backend '" + want +
            "' is compiled in but cannot run on this host (available: " + join(available_backends()) + ")");
    return want;
}

std::unique_ptr<selector> make_selector(std::string_view requested) {
    const std::string name = resolve_backend(requested);
    for (const auto& b : snapshot())
        if (b.name == name) return b.make();
    throw backend_unavailable_error("backend '" + name + "' disappeared from the registry");
}

}  // namespace corolla
