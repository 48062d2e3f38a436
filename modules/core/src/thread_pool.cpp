#include <corolla/core/thread_pool.hpp>

#include <algorithm>

#include <corolla/core/errors.hpp>

namespace corolla {

thread_pool::thread_pool(std::size_t max_workers)
    : max_workers_(max_workers ? max_workers
                               : std::min<std::size_t>(32, std::max(1u, std::thread::hardware_concurrency()) + 4)) {}

thread_pool::~thread_pool() { shutdown(true); }

void thread_pool::submit(detail::unique_function<void()> job) {
    std::unique_lock lock(mutex_);
    if (stopping_) throw invalid_state_error("thread_pool: submit after shutdown");
    jobs_.push_back(std::move(job));
    if (idle_ >= jobs_.size() || workers_.size() >= max_workers_) {
        lock.unlock();
        cv_.notify_one();
        return;
    }
    workers_.emplace_back([this] { work(); });
}

void thread_pool::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        while (jobs_.empty() && !stopping_) {
            ++idle_;
            cv_.wait(lock);
            --idle_;
        }
        if (jobs_.empty()) return;  // stopping and drained
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        job.reset();  // its captures die outside the lock too
        lock.lock();
    }
}

void thread_pool::shutdown(bool wait, bool cancel_pending) {
    std::vector<std::thread> joining;
    std::deque<detail::unique_function<void()>> dropped;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (cancel_pending) dropped.swap(jobs_);
        if (wait) joining.swap(workers_);
    }
    cv_.notify_all();
    dropped.clear();
    for (auto& t : joining) {
        // A job shutting down its own pool cannot join itself.
        if (t.get_id() == std::this_thread::get_id())
            t.detach();
        else if (t.joinable())
            t.join();
    }
}

std::size_t thread_pool::threads() const {
    std::lock_guard lock(mutex_);
    return workers_.size();
}

}  // namespace corolla
