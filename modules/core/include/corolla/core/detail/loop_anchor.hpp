// What work on other threads holds to reach an event loop that may be destroyed before
// the work ends (executor jobs). The loop nulls `loop` under `mutex` in its destructor.
#pragma once

#include <mutex>

namespace corolla {
class event_loop;
namespace detail {

struct loop_anchor {
    std::mutex mutex;
    event_loop* loop = nullptr;  ///< null once the loop is destroyed; use only under mutex
};

}  // namespace detail
}  // namespace corolla
