#include <corolla/core/task.hpp>

#include <atomic>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/detail/loop_access.hpp>
#include "loop_impl.hpp"
#include "loop_registry.hpp"

namespace corolla {
namespace detail {

thread_local constinit task_core* tls_current_task = nullptr;

namespace {

struct current_task_scope {
    task_core* prev;
    explicit current_task_scope(task_core* t) noexcept : prev(tls_current_task) { tls_current_task = t; }
    ~current_task_scope() { tls_current_task = prev; }
};

}  // namespace

std::uint64_t next_task_number() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::string next_task_name() { return "Task-" + std::to_string(next_task_number()); }

namespace {
const std::string empty_message;
const std::source_location step_scheduled_here = std::source_location::current();
}  // namespace

std::source_location task_core::step_location() noexcept { return step_scheduled_here; }

task_core::task_core(future_base& self, std::string&& name) : self_(self) {
    if (name.empty())
        extras_ = static_cast<std::uintptr_t>(next_task_number() << 1) | 1u;
    else
        extras_ = reinterpret_cast<std::uintptr_t>(new extras{std::move(name), {}, {}});
}

task_core::~task_core() {
    if (!self_.done())
        report_if_alive(&self_.loop(),
                        exception_context{
                            "Task was destroyed but it is pending: <task pending name='" + name() + "'>", nullptr, {}});
    if (has_extras()) delete extras_ptr();
}

task_core::extras& task_core::get_extras() const {
    if (!has_extras())
        extras_ = reinterpret_cast<std::uintptr_t>(new extras{"Task-" + std::to_string(extras_ >> 1), {}, {}});
    return *extras_ptr();
}

const std::string& task_core::name() const { return get_extras().name; }

void task_core::set_name(std::string n) { get_extras().name = std::move(n); }

const std::string& task_core::cancel_message() const noexcept {
    return has_extras() ? extras_ptr()->cancel_message : empty_message;
}

task_status task_core::status() const noexcept {
    if (self_.cancelled()) return task_status::cancelled;
    if (self_.done()) return task_status::done;
    return running_ ? task_status::running : task_status::pending;
}

void task_core::redeliver_cancel(std::string message) {
    must_cancel_ = true;
    if (!message.empty() || has_extras()) get_extras().cancel_message = std::move(message);
}

std::uint32_t task_core::uncancel() noexcept {
    if (cancel_requests_ > 0) --cancel_requests_;
    if (cancel_requests_ == 0) must_cancel_ = false;
    return cancel_requests_;
}

bool task_core::request_cancel(std::string message) {
    if (self_.done()) return false;
    ++cancel_requests_;
    if (waiter_ && waiter_->cancel(message)) {
        // The awaited future's cancellation wakes the task with cancelled_error.
        return true;
    }
    must_cancel_ = true;
    if (!message.empty() || has_extras()) get_extras().cancel_message = std::move(message);
    return true;
}

std::string task_core::to_string() const {
    std::string s = "<task ";
    switch (status()) {
    case task_status::pending: s += "pending"; break;
    case task_status::running: s += "running"; break;
    case task_status::done: s += "finished"; break;
    case task_status::cancelled: s += "cancelled"; break;
    }
    s += " name='" + name() + "' " + describe_code();
    if (self_.status() == future_status::done) {
        try {
            self_.check_result();
            s += " result=ok";
        } catch (const std::exception& e) {
            s += std::string(" exception=") + e.what();
        } catch (...) {
            s += " exception=(unknown)";
        }
    }
    if (waiter_ && !self_.done()) s += " wait_for=<future pending>";
    return s + ">";
}

void task_core::start() {
    tracked_ = true;
    self_.add_ref();  // the loop's strong reference, dropped when the task finishes
    self_.add_ref();  // held by the queue entry
    loop_access::start_task(self_.loop(), this);
}

void task_core::schedule_step() {
    self_.add_ref();  // held by the queue entry
    loop_access::schedule_task_step(self_.loop(), this);
}

void task_core::suspend_on(future_base& f) {
    if (&f == &self_) throw invalid_state_error("a task cannot await itself");
    if (&f.loop() != &self_.loop()) throw std::invalid_argument("awaited future belongs to another event loop");
    waiter_ = intrusive_ptr<future_base>(&f);
    f.add_waiting_task(*this);
    if (must_cancel_ && f.cancel(cancel_message())) must_cancel_ = false;
}

void task_core::suspend_yield() {
    // Called from the task's own step: the loop is running on this thread.
    direct_step::yield(*this, false);
}

void task_core::step() {
    if (self_.done()) return;
    std::exception_ptr inject;
    if (must_cancel_) {
        inject = std::make_exception_ptr(cancelled_error(cancel_message()));
        must_cancel_ = false;
    }
    waiter_.reset();
    if (!started_ && inject) {  // cancelled before its first step: the body never runs
        finish_cancelled(cancel_message());
        finished();
        return;
    }
    if (inject) get_extras().injected = std::move(inject);
    bool done;
    {
        current_task_scope scope(this);
        running_ = true;
        started_ = true;
        struct not_running {
            bool& r;
            ~not_running() { r = false; }
        } guard{running_};
        done = resume_code();
    }
    if (has_extras()) extras_ptr()->injected = nullptr;
    if (done) finished();
}

void task_core::finished() noexcept {
    destroy_code();
    if (tracked_) {
        tracked_ = false;
        loop_access::untrack_task(self_.loop(), this);
        self_.release();  // may destroy this task
    }
}

void task_core::abandon() noexcept {
    waiter_.reset();
    destroy_code();
    if (tracked_) {
        tracked_ = false;
        self_.release();
    }
}

task_core* direct_step::next(task_core& from) noexcept {
    return loop_access::impl(from.self_.loop()).take_handoff(&from);
}

task_core* direct_step::yield(task_core& t, bool take_next) {
    return loop_access::impl(t.self_.loop()).yield_step(&t, take_next);
}

// --- the loop's list of live tasks (all_tasks) ---------------------------------------

std::vector<task_core*> loop_impl::live_tasks() const {
    std::vector<task_core*> v;
    for (task_core* t = tasks_head_; t; t = t->next_task_)
        v.push_back(t);
    std::reverse(v.begin(), v.end());  // creation order (the list grows at its head)
    return v;
}

/// Tasks still pending at close are abandoned: their code is destroyed (running the
/// destructors of its locals); each reports "destroyed while pending" when it goes.
void loop_impl::abandon_tasks() noexcept {
    while (task_core* t = tasks_head_) {
        untrack_task(t);
        t->abandon();  // may destroy the task, which then reports itself
    }
}

}  // namespace detail

task_ref current_task() noexcept { return task_ref(detail::tls_current_task); }

std::vector<task_ref> all_tasks(event_loop& loop) {
    std::vector<task_ref> out;
    for (detail::task_core* t : detail::loop_access::live_tasks(loop))
        if (!t->as_future().done()) out.emplace_back(t);
    return out;
}

}  // namespace corolla
