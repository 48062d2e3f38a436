// The coroutine adapter is header-only apart from this anchor, which gives the
// corolla::coro component a library file to install and link.
#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>

namespace corolla::detail {
void coro_adapter_anchor() {}
}  // namespace corolla::detail
