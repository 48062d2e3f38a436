#include <corolla/core/runner.hpp>

#include <csignal>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include <corolla/core/thread_pool.hpp>
#include <corolla/core/wait.hpp>

namespace corolla {

bool detail::on_main_thread() noexcept {
#if defined(__linux__)
    return static_cast<pid_t>(::syscall(SYS_gettid)) == ::getpid();
#else
    return true;  // the signal table refuses a second owner anyway
#endif
}

bool detail::has_default_action(int sig) noexcept {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0) return false;
    return !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL;
}

runner::runner(run_options options) : handle_sigint_(options.handle_sigint) {
    if (event_loop::running()) throw loop_running_error("run() cannot be called from a running event loop");
    loop_ = std::make_unique<event_loop>(std::move(options.loop));
}

runner::~runner() {
    try {
        close();
    } catch (...) {  // a destructor cannot throw; close() already reported what it could
    }
}

void runner::begin_main(task_ref main) {
    if (closed_) throw loop_closed_error("runner is closed");
    if (&main.as_future().loop() != loop_.get())
        throw std::invalid_argument("runner: the task belongs to another loop");
    main_ = std::move(main);
    interrupts_ = 0;
    if (handle_sigint_ && detail::on_main_thread() && detail::has_default_action(SIGINT)) {
        try {
            loop_->add_signal_handler(SIGINT, [this] { on_sigint(); });
            sigint_installed_ = true;
        } catch (const already_registered_error&) {  // another loop handles SIGINT: leave it
        }
    }
}

void runner::end_main() noexcept {
    if (sigint_installed_) {
        sigint_installed_ = false;
        loop_->remove_signal_handler(SIGINT);
    }
}

bool runner::interrupted_main() { return interrupts_ > 0 && main_ && main_.uncancel() == 0; }

void runner::on_sigint() {
    ++interrupts_;
    if (interrupts_ == 1 && main_ && !main_.done()) {
        main_.cancel();
        return;
    }
    // Second Ctrl+C: give up on a graceful stop, as Python does.
    end_main();
    ::raise(SIGINT);
}

void runner::cancel_all_tasks() {
    std::vector<task_ref> left = all_tasks(*loop_);
    if (left.empty()) return;
    for (auto& t : left)
        t.cancel();
    loop_->run_until_complete(wait(*loop_, left));
    for (auto& t : left) {
        if (t.cancelled()) continue;
        if (auto e = t.as_future().exception())
            loop_->call_exception_handler(
                exception_context{"unhandled exception during run() shutdown in task '" + t.get_name() + "'", e, {}});
    }
}

void runner::close() {
    if (closed_) return;
    if (loop_->is_running()) throw loop_running_error("runner: close() while its loop is running");
    closed_ = true;
    main_ = {};
    if (!loop_->is_closed()) {
        try {
            cancel_all_tasks();
            // Jobs still running on the default executor finish first; their results
            // are then delivered by one more iteration.
            loop_->shutdown_default_executor();
            loop_->run_once(true);
        } catch (...) {
            loop_->close();
            throw;
        }
        loop_->close();
    }
}

}  // namespace corolla
