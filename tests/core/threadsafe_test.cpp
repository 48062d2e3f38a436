// call_soon_threadsafe: the cross-thread bridge (also run under the TSan preset).
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>
#include <corolla/core/selector.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using corolla::test::loop_fixture;

COROLLA_BACKEND_TEST(threadsafe_call_wakes_a_blocked_loop) {
    loop_fixture fx(backend, corolla::test::clock_kind::real);
    auto& loop = fx.loop();
    std::thread::id ran_on;
    std::thread t([&] {
        loop.call_soon_threadsafe([&] {
            ran_on = std::this_thread::get_id();
            loop.stop();
        });
    });
    loop.run_forever();  // blocks: nothing else is scheduled
    t.join();
    BOOST_TEST((ran_on == std::this_thread::get_id()));
}

COROLLA_BACKEND_TEST(many_threads_each_callback_runs_exactly_once) {
    loop_fixture fx(backend, corolla::test::clock_kind::real);
    auto& loop = fx.loop();
    constexpr int threads = 4;
    constexpr int per_thread = 2000;
    std::vector<int> hits(threads * per_thread, 0);
    int total = 0;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i)
                loop.call_soon_threadsafe([&, idx = t * per_thread + i] {
                    ++hits[static_cast<std::size_t>(idx)];
                    if (++total == threads * per_thread) loop.stop();
                });
        });
    loop.run_forever();
    for (auto& t : ts)
        t.join();
    BOOST_TEST(total == threads * per_thread);
    BOOST_TEST(std::count(hits.begin(), hits.end(), 1) == threads * per_thread);
}

COROLLA_BACKEND_TEST(stop_from_another_thread_via_threadsafe_call) {
    loop_fixture fx(backend, corolla::test::clock_kind::real);
    auto& loop = fx.loop();
    std::atomic<bool> started{false};
    loop.call_soon([&] { started = true; });
    std::thread t([&] {
        while (!started.load())
            std::this_thread::yield();
        loop.call_soon_threadsafe([&] { loop.stop(); });
    });
    loop.run_forever();
    t.join();
    BOOST_TEST(started.load());
}

COROLLA_BACKEND_TEST(threadsafe_call_after_close_is_refused) {
    loop_fixture fx(backend, corolla::test::clock_kind::real);
    auto& loop = fx.loop();
    loop.close();
    bool refused = false;
    std::thread t([&] {
        try {
            loop.call_soon_threadsafe([] {});
        } catch (const corolla::loop_closed_error&) {
            refused = true;
        }
    });
    t.join();
    BOOST_TEST(refused);
}

namespace {

/// Forwards to a real selector and counts wake() calls.
class counting_selector final : public corolla::selector {
public:
    explicit counting_selector(std::unique_ptr<corolla::selector> inner) : inner_(std::move(inner)) {}
    std::string_view name() const noexcept override { return inner_->name(); }
    corolla::selector_caps caps() const noexcept override { return inner_->caps(); }
    void add(int fd, std::uint32_t interest, std::uint64_t token) override { inner_->add(fd, interest, token); }
    void modify(int fd, std::uint32_t interest, std::uint64_t token) override { inner_->modify(fd, interest, token); }
    void remove(int fd) override { inner_->remove(fd); }
    std::size_t select(corolla::duration timeout, std::span<corolla::ready_event> out) override {
        return inner_->select(timeout, out);
    }
    void wake() noexcept override {
        wakes.fetch_add(1, std::memory_order_relaxed);
        inner_->wake();
    }
    std::size_t size() const noexcept override { return inner_->size(); }
    std::atomic<int> wakes{0};

private:
    std::unique_ptr<corolla::selector> inner_;
};

struct counted_loop {
    counting_selector* sel = nullptr;
    std::unique_ptr<corolla::event_loop> loop;
    explicit counted_loop(const std::string& backend) {
        auto s = std::make_unique<counting_selector>(corolla::make_selector(backend));
        sel = s.get();
        corolla::loop_options o;
        o.selector = std::move(s);
        loop = std::make_unique<corolla::event_loop>(std::move(o));
    }
};

}  // namespace

COROLLA_BACKEND_TEST(a_running_loop_is_not_woken_for_each_threadsafe_call) {
    // While the loop is busy running callbacks, another thread queues 2000: the loop
    // picks them up without a wake-up each (at most the few times it really parked).
    counted_loop c(backend);
    auto& loop = *c.loop;
    std::atomic<bool> go{false};
    std::atomic<int> ran{0};
    std::thread t([&] {
        while (!go.load())
            std::this_thread::yield();
        for (int i = 0; i < 2000; ++i)
            loop.call_soon_threadsafe([&] { ran.fetch_add(1); });
        loop.call_soon_threadsafe([&] { loop.stop(); });
    });
    // Keep the loop busy: a callback re-queuing itself until the other thread is done.
    std::function<void()> spin = [&] {
        go.store(true);
        if (ran.load() < 2000) loop.call_soon(spin);
    };
    loop.call_soon(spin);
    loop.run_forever();
    t.join();
    BOOST_TEST(ran.load() == 2000);
    BOOST_TEST(c.sel->wakes.load() <= 1);
}

COROLLA_BACKEND_TEST(a_loop_with_nothing_to_select_parks_without_its_selector) {
    // No fd, no signal handler: the loop sleeps on a futex (Linux), and the cross-thread
    // wake never touches the selector. With an fd registered it parks in the selector.
    counted_loop c(backend);
    auto& loop = *c.loop;
    for (int round = 0; round < 50; ++round) {
        std::thread t([&] {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            loop.call_soon_threadsafe([&] { loop.stop(); });
        });
        loop.run_forever();
        t.join();
    }
#if defined(__linux__)
    BOOST_TEST(c.sel->wakes.load() == 0);
#endif
    auto p = corolla::test::fd_pair::pipe();
    loop.add_reader(p.a, [] {});
    const int before = c.sel->wakes.load();
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        loop.call_soon_threadsafe([&] { loop.stop(); });
    });
    loop.run_forever();
    t.join();
    BOOST_TEST(c.sel->wakes.load() == before + 1);
    loop.remove_reader(p.a);
}
