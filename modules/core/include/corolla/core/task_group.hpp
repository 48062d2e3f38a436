// task_group: asyncio.TaskGroup for tasks of either style. Tasks created in the group are
// awaited when the group's scope ends; the first failure cancels the other tasks and the
// scope's body, and all failures come out together as one exception_group. The style
// adapters wrap the enter / exit protocol below (`co_await with_task_group(body)`).
#pragma once

#include <cstddef>
#include <exception>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include <corolla/core/future.hpp>
#include <corolla/core/task.hpp>

namespace corolla {

namespace detail {

class task_group_state final : public ref_counted {
public:
    void enter();
    void check_open() const;
    void adopt(future_base& t);
    void abort();
    void begin_exit(std::exception_ptr body_error);
    future<void> children_done();
    void wait_interrupted(std::exception_ptr e);
    void end_exit();
    event_loop& loop() const noexcept { return *loop_; }
    std::size_t size() const noexcept { return tasks_.size(); }
    bool exited() const noexcept { return exited_; }
    bool entered() const noexcept { return entered_; }

private:
    using task_list = std::list<intrusive_ptr<future_base>>;
    void on_task_done(task_list::iterator it, future_base& t);

    event_loop* loop_ = nullptr;
    task_ref parent_;
    task_list tasks_;
    std::vector<std::exception_ptr> errors_;
    std::exception_ptr body_error_;
    std::exception_ptr propagate_cancel_;
    future<void> on_completed_;
    bool entered_ = false;
    bool exiting_ = false;
    bool exited_ = false;
    bool aborting_ = false;
    bool parent_cancel_requested_ = false;
};

template <class... A>
auto spawn_in_group(event_loop& loop, A&&... args) {
    // Found by argument-dependent lookup: each style adapter provides create_task for
    // its kind of code (adapters/coro: coro<T>).
    return create_task(loop, std::forward<A>(args)...);
}

}  // namespace detail

/// A scope that owns the tasks created in it (asyncio.TaskGroup).
///
/// Protocol (what the adapters' wrappers do; use those rather than calling it by hand):
/// enter() inside the parent task; the body runs and creates tasks; then
/// begin_exit(body's exception or null), await children_done() until size() == 0 —
/// passing any cancelled_error thrown by that await to wait_interrupted() — and finally
/// end_exit(), which returns normally or throws the outcome.
///
/// Semantics (CPython 3.12+):
/// - A child failing with an exception (not a cancellation) cancels every other child and
///   the parent task; the parent's cancel count is restored when the scope ends.
/// - The body raising cancels the children too.
/// - All failures (children's, then the body's) are raised as one exception_group.
/// - A cancellation from outside the group wins: the children are cancelled, awaited, and
///   cancelled_error propagates (unless there are failures to report; then the group is
///   raised and the parent stays cancelled, so its next suspension is cancelled).
/// - create_task()/adopt() before enter, while shutting down or after the scope ended is
///   invalid_state_error, and the code passed is not run.
class task_group {
public:
    task_group() : s_(new detail::task_group_state) {}
    ~task_group();
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    /// Creates a task for `code` (a coro<T> with adapters/coro) on the group's loop and
    /// adds it to the group.
    template <class Code>
    auto create_task(Code&& code, std::string name = {}) {
        s_->check_open();
        auto t = detail::spawn_in_group(s_->loop(), std::forward<Code>(code), std::move(name));
        s_->adopt(*t.state());
        return t;
    }
    /// Adds an existing task (of either style) to the group. The task must be on the
    /// group's loop.
    template <class T>
    task<T> adopt(task<T> t) {
        s_->check_open();
        s_->adopt(*t.state());
        return t;
    }
    /// Number of the group's tasks not finished yet.
    std::size_t size() const noexcept { return s_->size(); }

    void enter() { s_->enter(); }
    void begin_exit(std::exception_ptr body_error) { s_->begin_exit(std::move(body_error)); }
    future<void> children_done() { return s_->children_done(); }
    void wait_interrupted(std::exception_ptr e) { s_->wait_interrupted(std::move(e)); }
    void end_exit() { s_->end_exit(); }

private:
    detail::intrusive_ptr<detail::task_group_state> s_;
};

}  // namespace corolla
