// thread_pool: a small pool of worker threads for blocking work (asyncio's default
// ThreadPoolExecutor). Loops hand work to it through run_in_executor / to_thread
// (corolla/core/to_thread.hpp); each loop owns one as its default executor.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <corolla/core/detail/unique_function.hpp>

namespace corolla {

/// Worker threads started on demand, up to max_workers, that run submitted jobs FIFO.
/// Thread-safe. Jobs must not throw (run_in_executor's wrappers catch everything).
class thread_pool {
public:
    /// max_workers 0: min(32, hardware threads + 4), as Python's default executor.
    explicit thread_pool(std::size_t max_workers = 0);
    /// shutdown(wait = true).
    ~thread_pool();
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    /// Queues a job. Throws invalid_state_error after shutdown().
    void submit(detail::unique_function<void()> job);
    /// Stops accepting jobs. Queued jobs still run, unless cancel_pending (then they are
    /// destroyed without running). With wait, blocks until every worker has exited.
    /// Idempotent; a later call with wait still joins.
    void shutdown(bool wait = true, bool cancel_pending = false);

    std::size_t max_workers() const noexcept { return max_workers_; }
    /// Worker threads started so far.
    std::size_t threads() const;

private:
    void work();

    std::size_t max_workers_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<detail::unique_function<void()>> jobs_;
    std::vector<std::thread> workers_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace corolla
