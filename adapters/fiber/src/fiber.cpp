#include <corolla/fiber/fiber.hpp>

#include <string>

namespace corolla {
namespace detail {

void fiber_required(const char* what) {
    fiber_context* fc = fiber_context::current();
    if (!fc)
        throw invalid_state_error(
            std::string(what) + " outside of a fiber: run the code with spawn_fiber() (in a coroutine, use co_await)");
    if (fc->unwinding()) throw fiber_unwind{};  // its task is gone; keep unwinding
    if (!fc->owner())
        throw invalid_state_error(std::string(what) +
                                  " inside a stackful generator: it runs outside any task; await in the code that "
                                  "drives the generator");
    throw invalid_state_error(std::string(what) + ": the fiber is not running as its task");
}

event_loop& running_loop(const char* what) {
    event_loop* loop = event_loop::running();
    if (!loop) throw invalid_state_error(std::string(what) + ": no running event loop (pass the loop explicitly)");
    return *loop;
}

}  // namespace detail

void await(const sleep_future& s) {
    if (s.is_yield())
        this_fiber::yield();
    else
        detail::await_future(static_cast<const future<void>&>(s));
}

}  // namespace corolla

#include <corolla/fiber/with_task_group.hpp>

namespace corolla::detail {

void finish_task_group_inline(task_group& tg, std::exception_ptr body_error) {
    tg.begin_exit(std::move(body_error));
    while (tg.size() > 0) {
        try {
            corolla::await(tg.children_done());
        } catch (const fiber_unwind&) {
            throw;
        } catch (...) {
            tg.wait_interrupted(std::current_exception());
        }
    }
    tg.end_exit();
}

}  // namespace corolla::detail
