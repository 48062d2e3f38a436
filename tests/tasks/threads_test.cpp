// The thread bridge: run_coroutine_threadsafe from a foreign thread (result, exception,
// cancel, result with a timeout, the refusal to block a loop thread) and to_thread with
// many concurrent jobs. Built for the TSan preset (label "threads").
// Written once for both styles (support/style.hpp), run over every backend.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/concurrent_future.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/to_thread.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using namespace std::chrono_literals;
namespace test = corolla::test;

namespace {

/// A loop running on its own thread for the duration of a test.
class loop_thread {
public:
    explicit loop_thread(const std::string& backend) : fx_(backend, test::clock_kind::real) {
        thread_ = std::thread([this] { fx_.loop().run_forever(); });
    }
    ~loop_thread() {
        fx_.loop().call_soon_threadsafe([this] { fx_.loop().stop(); });
        thread_.join();
        fx_.drain();
    }
    corolla::event_loop& loop() { return fx_.loop(); }

private:
    test::loop_fixture fx_;
    std::thread thread_;
};

TASK(int) add_later(int a, int b) {
    AWAIT(corolla::sleep(1ms));
    RETURN a + b;
}

}  // namespace

COROLLA_BACKEND_TEST(run_coroutine_threadsafe_returns_the_result_to_the_caller_thread) {
    loop_thread lt(backend);
    auto f = test::submit_threadsafe(lt.loop(), add_later, 20, 22);
    BOOST_TEST(f.result() == 42);
    BOOST_TEST(f.done());
    BOOST_TEST(!f.exception());
}

COROLLA_BACKEND_TEST(run_coroutine_threadsafe_passes_the_exception) {
    loop_thread lt(backend);
    auto f = test::submit_threadsafe(lt.loop(), []() -> TASK(int) {
        AWAIT(corolla::sleep(1ms));
        throw std::invalid_argument("bad input on the loop");
    });
    BOOST_CHECK_THROW(f.result(), std::invalid_argument);
}

COROLLA_BACKEND_TEST(run_coroutine_threadsafe_cancel_reaches_the_task) {
    loop_thread lt(backend);
    std::atomic<bool> started{false};
    std::atomic<bool> saw_cancel{false};
    auto f = test::submit_threadsafe(lt.loop(), [&]() -> TASK(int) {
        started.store(true);
        try {
            AWAIT(corolla::sleep(1h));
        } catch (const corolla::cancelled_error&) {
            saw_cancel.store(true);
            throw;
        }
        RETURN 0;
    });
    while (!started.load())
        std::this_thread::yield();
    BOOST_TEST(f.cancel());
    BOOST_TEST(f.cancelled());
    BOOST_CHECK_THROW(f.result(), corolla::cancelled_error);
    BOOST_TEST(!f.cancel());  // already done
    // The task itself is cancelled on the loop thread shortly after.
    auto check = test::submit_threadsafe(lt.loop(), []() -> TASK(int) {
        AWAIT(corolla::sleep(0s));
        AWAIT(corolla::sleep(0s));
        RETURN 0;
    });
    check.result();
    BOOST_TEST(saw_cancel.load());
}

COROLLA_BACKEND_TEST(concurrent_result_with_timeout_gives_up_without_cancelling) {
    loop_thread lt(backend);
    std::atomic<bool> go{false};
    auto f = test::submit_threadsafe(lt.loop(), [&]() -> TASK(int) {
        while (!go.load())
            AWAIT(corolla::sleep(1ms));
        RETURN 5;
    });
    BOOST_CHECK_THROW(f.result(20ms), corolla::timeout_error);
    BOOST_TEST(!f.done());
    go.store(true);
    BOOST_TEST(f.result(60s) == 5);
}

COROLLA_BACKEND_TEST(concurrent_result_on_a_loop_thread_is_refused) {
    loop_thread lt(backend);
    auto slow = test::submit_threadsafe(lt.loop(), []() -> TASK(int) {
        AWAIT(corolla::sleep(50ms));
        RETURN 1;
    });
    auto probe = test::submit_threadsafe(lt.loop(), [&]() -> TASK(std::string) {
        try {
            (void)slow.result();
        } catch (const corolla::invalid_state_error&) {
            RETURN std::string("refused");
        }
        RETURN std::string("blocked the loop");
    });
    BOOST_TEST(probe.result() == "refused");
    BOOST_TEST(slow.result() == 1);
}

COROLLA_BACKEND_TEST(to_thread_many_jobs_at_once) {
    loop_thread lt(backend);
    auto f = test::submit_threadsafe(lt.loop(), []() -> TASK(long) {
        std::vector<corolla::future<long>> jobs;
        for (long i = 0; i < 64; ++i)
            jobs.push_back(corolla::to_thread([i] {
                long s = 0;
                for (long k = 0; k <= i; ++k)
                    s += k;
                return s;
            }));
        auto all = AWAIT(corolla::gather(*corolla::event_loop::running(), jobs));
        long total = 0;
        for (long v : all)
            total += v;
        RETURN total;
    });
    long expected = 0;
    for (long i = 0; i < 64; ++i)
        expected += i * (i + 1) / 2;
    BOOST_TEST(f.result() == expected);
}
