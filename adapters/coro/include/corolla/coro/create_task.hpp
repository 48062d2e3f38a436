// create_task: wraps a coro<T> in a task<T> scheduled on a loop (asyncio.create_task).
#pragma once

#include <coroutine>
#include <string>
#include <utility>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/task.hpp>
#include <corolla/core/task_launcher.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/core/detail/loop_access.hpp>

namespace corolla {

namespace detail {

template <class T>
class coro_task final : public task_state<T> {
public:
    coro_task(event_loop& loop, coro<T> c, std::string&& name) : task_state<T>(loop, std::move(name)), h_(c.release()) {
        this->direct_steps_ = true;
    }
    ~coro_task() override { coro_task::destroy_code(); }

protected:
    bool run_direct_step() noexcept override {
        task_core* prev = direct_step::begin(*this);
        bool done;
        try {
            done = coro_task::resume_code();
        } catch (...) {  // completing the task failed: as the loop reports a failed step
            direct_step::end(*this, false, prev);
            loop_access::report_task_step_error(this->as_future().loop(), std::current_exception());
            return true;
        }
        direct_step::end(*this, done, prev);
        return true;
    }
    bool resume_code() override {
        void* point = this->resume_point();
        auto leaf = point ? std::coroutine_handle<>::from_address(point) : std::coroutine_handle<>(h_);
        this->set_resume_point(nullptr);
        leaf.resume();
        if (!h_.done()) return false;
        auto& p = h_.promise();
        try {
            if constexpr (std::is_void_v<T>) {
                p.take();
                if (!this->finish_if_cancel_pending()) this->set_result();
            } else {
                auto value = p.take();
                if (!this->finish_if_cancel_pending()) this->set_result(std::move(value));
            }
        } catch (const cancelled_error& e) {
            this->finish_cancelled(e.message());
        } catch (...) {
            this->set_exception(std::current_exception());
        }
        return true;
    }
    void destroy_code() noexcept override {
        if (h_) std::exchange(h_, {}).destroy();
    }
    std::string describe_code() const override {
        if (!h_) return "coro=<finished>";
        return "coro=<" + coroutine_name(h_.promise().where_) + ">";
    }

private:
    typename coro<T>::handle_type h_;
};

}  // namespace detail

/// Schedules `c` to run as a task on `loop`. The loop keeps the task alive until it
/// finishes, so a task whose handle is dropped still runs to completion.
template <class T>
task<T> create_task(event_loop& loop, coro<T> c, std::string name = {}) {
    if (!c) throw std::invalid_argument("create_task: empty coro");
    if (loop.is_closed()) throw loop_closed_error("create_task on a closed event loop");
    detail::intrusive_ptr<detail::task_state<T>> s(new detail::coro_task<T>(loop, std::move(c), std::move(name)));
    s->start();
    return task<T>(std::move(s));
}

/// create_task on the running loop (asyncio.create_task). Throws invalid_state_error
/// when no loop is running on this thread.
template <class T>
task<T> create_task(coro<T> c, std::string name = {}) {
    event_loop* loop = event_loop::running();
    if (!loop) throw invalid_state_error("create_task: no running event loop (pass the loop explicitly)");
    return create_task(*loop, std::move(c), std::move(name));
}

/// A future or task is already scheduled: returned as is (asyncio.ensure_future).
template <class T>
future<T> ensure_future(future<T> f) {
    return f;
}
template <class T>
task<T> ensure_future(event_loop& loop, coro<T> c) {
    return create_task(loop, std::move(c));
}

/// Coroutine code for style-free launchers (core/task_launcher.hpp): a call returning a
/// coro<T> runs through create_task.
template <class T>
struct task_launcher<coro<T>> {
    template <class Fn, class... A>
    static task<T> launch(event_loop& loop, Fn& fn, A&&... args) {
        return create_task(loop, fn(std::forward<A>(args)...));
    }
};

}  // namespace corolla
