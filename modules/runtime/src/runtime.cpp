#include <corolla/runtime/runtime.hpp>

#include <csignal>
#include <exception>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <corolla/core/runner.hpp>
#include <corolla/core/task.hpp>

namespace corolla {
namespace {

/// The CPUs this thread may run on, in order.
std::vector<int> allowed_cpus() {
    std::vector<int> cpus;
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) cpus.push_back(c);
#endif
    if (cpus.empty()) {
        const unsigned n = std::thread::hardware_concurrency();
        for (unsigned c = 0; c < (n ? n : 1); ++c)
            cpus.push_back(static_cast<int>(c));
    }
    return cpus;
}

void pin_to(int cpu) noexcept {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
#else
    (void)cpu;
#endif
}

loop_options loop_options_for(const runtime_options& o, std::size_t loops) {
    if (o.loop.selector) throw std::invalid_argument("runtime: loop_options::selector must be null (one per loop)");
    if (o.loop.clock && loops > 1)
        throw std::invalid_argument("runtime: loop_options::clock cannot be shared by several loops");
    loop_options l;  // every field but the selector (checked null above), which cannot be copied
    l.backend = o.backend.empty() ? o.loop.backend : o.backend;
    l.clock = o.loop.clock;
    l.debug = o.loop.debug;
    l.slow_callback_duration = o.loop.slow_callback_duration;
    l.thread_pool_size = o.loop.thread_pool_size;
    return l;
}

}  // namespace

runtime::runtime(runtime_options options) : handle_signals_(options.handle_signals) {
    const std::vector<int> cpus = allowed_cpus();
    const std::size_t n = options.loops ? options.loops : cpus.size();
    if (options.pin) cpus_ = cpus;
    runners_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        run_options ro;
        ro.loop = loop_options_for(options, n);
        ro.handle_sigint = false;  // the runtime handles signals once, on loop 0
        runners_.push_back(std::make_unique<runner>(std::move(ro)));
        loops_.push_back(&runners_.back()->get_loop());
        anchors_.push_back(detail::loop_access::anchor(*loops_.back()));
    }
}

runtime::~runtime() {
    if (phase_.load() == 1) end_run();
    runners_.clear();  // never run: the loops close here
}

event_loop& runtime::loop(std::size_t i) const {
    if (i >= loops_.size()) throw std::out_of_range("runtime::loop: no such loop");
    if (phase_.load(std::memory_order_acquire) == 2) throw invalid_state_error("runtime::loop: the runtime has run");
    return *loops_[i];
}

std::size_t runtime::current_index() const noexcept {
    if (phase_.load(std::memory_order_acquire) != 1) return npos;
    const event_loop* here = event_loop::running();
    if (!here) return std::this_thread::get_id() == run_thread_ ? 0 : npos;  // loop 0's thread, outside the loop
    for (std::size_t i = 0; i < loops_.size(); ++i)
        if (loops_[i] == here) return i;
    return npos;
}

event_loop& runtime::caller_loop(std::size_t index) const {
    if (index >= loops_.size()) throw std::out_of_range("submit_to: no such loop");
    const std::size_t me = current_index();
    if (me == npos) throw invalid_state_error("submit_to: call it from a loop of the runtime while it runs");
    return *loops_[me];
}

void runtime::begin_run() {
    if (event_loop::running()) throw loop_running_error("runtime::run cannot be called from a running event loop");
    int expected = 0;
    if (!phase_.compare_exchange_strong(expected, 3)) throw invalid_state_error("runtime::run: a runtime runs once");
    run_thread_ = std::this_thread::get_id();
    phase_.store(1, std::memory_order_release);  // current_index() reads run_thread_ after this
#if defined(__linux__)
    if (!cpus_.empty()) {
        auto saved = std::make_shared<cpu_set_t>();
        if (::pthread_getaffinity_np(::pthread_self(), sizeof(cpu_set_t), saved.get()) == 0) saved_affinity_ = saved;
        pin_to(cpus_[0]);
    }
#endif
    try {
        for (std::size_t i = 1; i < runners_.size(); ++i) {
            const int cpu = cpus_.empty() ? -1 : cpus_[i % cpus_.size()];
            // The thread owns its loop: it destroys it before it ends, so that what the
            // loop held for calls from other loops is let go (and reported) at once.
            threads_.emplace_back([r = std::move(runners_[i]), cpu]() mutable {
                if (cpu >= 0) pin_to(cpu);
                event_loop& l = r->get_loop();
                try {
                    l.run_forever();  // until end_run() stops it
                    r->close();       // cancels and awaits what is left, then closes
                } catch (const std::exception& e) {
                    l.log(log_level::error, std::string("runtime: a loop failed to shut down: ") + e.what());
                    try {
                        if (!l.is_running()) l.close();
                    } catch (...) {
                    }
                }
                r.reset();
            });
        }
    } catch (...) {
        end_run();
        throw;
    }
}

void runtime::watch_main(detail::future_base* main) {
    main_ = detail::intrusive_ptr<detail::future_base>(main);
    interrupts_ = 0;
    first_signal_ = 0;
    if (!handle_signals_ || !detail::on_main_thread()) return;
    for (int sig : {SIGINT, SIGTERM}) {
        if (!detail::has_default_action(sig)) continue;
        try {
            loops_[0]->add_signal_handler(sig, [this, sig] { on_signal(sig); });
            signals_installed_.push_back(sig);
        } catch (const already_registered_error&) {  // another loop handles it: leave it
        }
    }
}

void runtime::on_signal(int sig) {
    ++interrupts_;
    if (interrupts_ == 1 && main_ && !main_->done()) {
        first_signal_ = sig;
        main_->cancel();
        return;
    }
    // A second signal: give up on a graceful stop.
    remove_signal_handlers();
    ::raise(sig);
}

void runtime::remove_signal_handlers() noexcept {
    for (int sig : signals_installed_)
        loops_[0]->remove_signal_handler(sig);
    signals_installed_.clear();
}

void runtime::rethrow_if_interrupted() {
    if (interrupts_ == 0 || !main_ || first_signal_ == 0) return;
    if (detail::task_core* t = main_->as_task())
        if (t->uncancel() != 0) return;  // cancelled for another reason as well
    if (first_signal_ == SIGTERM) throw terminate_request();
    throw keyboard_interrupt();
}

void runtime::end_run() noexcept {
    remove_signal_handlers();
    main_.reset();
    stopping_.store(true, std::memory_order_release);
    // Every loop shuts down at once: cross-loop calls still in flight need the other side
    // running to end, and a side that is gone reports them cancelled.
    for (std::size_t i = 1; i < anchors_.size(); ++i)
        detail::post_to(*anchors_[i], [](event_loop& l) { l.call_soon_threadsafe([&l] { l.stop(); }); });
    try {
        runners_[0]->close();
    } catch (const std::exception& e) {
        loops_[0]->log(log_level::error, std::string("runtime: loop 0 failed to shut down: ") + e.what());
    }
    // Destroying loop 0 now releases what it held for calls that never got an answer.
    runners_[0].reset();
    for (auto& t : threads_)
        t.join();
    threads_.clear();
    runners_.clear();
#if defined(__linux__)
    if (saved_affinity_)
        ::pthread_setaffinity_np(::pthread_self(), sizeof(cpu_set_t), static_cast<cpu_set_t*>(saved_affinity_.get()));
#endif
    phase_.store(2, std::memory_order_release);
}

}  // namespace corolla
