#include <corolla/core/combinators.hpp>

namespace corolla::detail {

std::exception_ptr child_error(future_base& child) {
    if (child.cancelled()) return std::make_exception_ptr(cancelled_error(child.cancel_message()));
    return child.exception();
}

event_loop& loop_of(const std::vector<intrusive_ptr<future_base>>& children) {
    event_loop& loop = children.front()->loop();
    for (const auto& c : children)
        if (&c->loop() != &loop) throw std::invalid_argument("gather: futures belong to different event loops");
    return loop;
}

}  // namespace corolla::detail
