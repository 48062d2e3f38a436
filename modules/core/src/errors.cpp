#include <corolla/core/errors.hpp>

namespace corolla {
namespace {

std::string describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (const cancelled_error& c) {
        return std::string("cancelled: ") + c.what();
    } catch (...) {
        return "unknown exception";
    }
}

std::string group_message(const std::string& message, const std::vector<std::exception_ptr>& es) {
    std::string s = message + " (" + std::to_string(es.size()) + " sub-exception" + (es.size() == 1 ? "" : "s") + ")";
    if (!es.empty()) s += ": " + describe(es.front());
    if (es.size() > 1) s += "; ...";
    return s;
}

}  // namespace

exception_group::exception_group(const std::string& message, std::vector<std::exception_ptr> exceptions)
    : error(group_message(message, exceptions)), exceptions_(std::move(exceptions)) {}

bool detail::is_cancellation(const std::exception_ptr& e) noexcept {
    if (!e) return false;
    try {
        std::rethrow_exception(e);
    } catch (const cancelled_error&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace corolla
