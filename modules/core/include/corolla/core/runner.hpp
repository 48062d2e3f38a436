// runner: asyncio.Runner, the machinery behind run(main). It owns a fresh event loop,
// runs main tasks on it with Ctrl+C cancelling the main task, and on close cancels and
// awaits whatever tasks are left, stops the default executor and closes the loop.
// adapters/coro's run(coro) is runner + create_task in one call.
#pragma once

#include <cstdint>
#include <memory>

#include <corolla/core/event_loop.hpp>
#include <corolla/core/loop_options.hpp>
#include <corolla/core/task.hpp>

namespace corolla {

struct run_options {
    /// The loop to create (backend, clock, debug, default executor size).
    loop_options loop{};
    /// Install a SIGINT handler while a main task runs: the first Ctrl+C cancels the main
    /// task (and run() throws keyboard_interrupt if that cancellation ends it); a second
    /// one restores the default action and re-raises SIGINT, ending the process. Only
    /// done on the process's main thread and when SIGINT still has its default action.
    bool handle_sigint = true;
};

class runner {
public:
    /// Creates the loop. Throws loop_running_error when a loop is running on this thread.
    explicit runner(run_options options = {});
    /// close(), reporting rather than throwing.
    ~runner();
    runner(const runner&) = delete;
    runner& operator=(const runner&) = delete;

    event_loop& get_loop() noexcept { return *loop_; }

    /// Runs the loop until `main` is done and returns its result (or throws its
    /// exception; keyboard_interrupt if Ctrl+C cancelled it).
    template <class T>
    T run(task<T> main) {
        begin_main(main);
        struct end_guard {
            runner& r;
            ~end_guard() { r.end_main(); }
        } guard{*this};
        try {
            return loop_->run_until_complete(main);
        } catch (const cancelled_error&) {
            if (interrupted_main()) throw keyboard_interrupt();
            throw;
        }
    }

    /// Cancels every task left on the loop and waits for them (failures other than the
    /// cancellation go to the exception handler), waits for the default executor's
    /// jobs, then closes the loop. Idempotent.
    void close();

private:
    void begin_main(task_ref main);
    void end_main() noexcept;
    bool interrupted_main();
    void on_sigint();
    void cancel_all_tasks();

    std::unique_ptr<event_loop> loop_;
    task_ref main_;
    std::uint32_t interrupts_ = 0;
    bool handle_sigint_;
    bool sigint_installed_ = false;
    bool closed_ = false;
};

namespace detail {
/// Whether the calling thread is the process's main thread (where Ctrl+C handling is
/// installed, as asyncio.Runner does); true where that cannot be told.
bool on_main_thread() noexcept;
/// Whether `sig` has its default disposition (nobody installed a handler or ignored it).
bool has_default_action(int sig) noexcept;
}  // namespace detail

}  // namespace corolla
