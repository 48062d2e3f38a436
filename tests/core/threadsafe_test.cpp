// call_soon_threadsafe: the cross-thread bridge (also run under the TSan preset).
#include <atomic>
#include <thread>
#include <vector>

#include <corolla/core/event_loop.hpp>

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
