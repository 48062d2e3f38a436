// add_signal_handler / remove_signal_handler, over every backend.
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <unistd.h>

#include <corolla/core/event_loop.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using corolla::test::loop_fixture;

COROLLA_BACKEND_TEST(handler_runs_on_loop_thread_in_next_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int calls = 0;
    std::thread::id where;
    loop.add_signal_handler(SIGUSR1, [&] {
        ++calls;
        where = std::this_thread::get_id();
        loop.stop();
    });
    BOOST_TEST(loop.stats().signal_handlers == 1u);
    ::raise(SIGUSR1);
    BOOST_TEST(calls == 0);  // never inside the C handler
    loop.run_forever();
    BOOST_TEST(calls == 1);
    BOOST_TEST((where == std::this_thread::get_id()));
    BOOST_TEST(loop.remove_signal_handler(SIGUSR1));
    BOOST_TEST(!loop.remove_signal_handler(SIGUSR1));
}

COROLLA_BACKEND_TEST(signal_from_another_thread_wakes_a_blocked_loop) {
    loop_fixture fx(backend, corolla::test::clock_kind::real);
    auto& loop = fx.loop();
    bool got = false;
    loop.add_signal_handler(SIGUSR1, [&] {
        got = true;
        loop.stop();
    });
    // Whether the signal lands before or during the blocking wait, the loop must wake.
    std::thread t([] { ::kill(::getpid(), SIGUSR1); });
    loop.run_forever();
    t.join();
    BOOST_TEST(got);
    loop.remove_signal_handler(SIGUSR1);
}

COROLLA_BACKEND_TEST(remove_restores_previous_disposition) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    struct sigaction before {};
    ::sigaction(SIGUSR2, nullptr, &before);
    loop.add_signal_handler(SIGUSR2, [] {});
    struct sigaction during {};
    ::sigaction(SIGUSR2, nullptr, &during);
    BOOST_TEST((during.sa_handler != before.sa_handler));
    loop.add_signal_handler(SIGUSR2, [] {});  // replacing our own handler is fine
    BOOST_TEST(loop.stats().signal_handlers == 1u);
    BOOST_TEST(loop.remove_signal_handler(SIGUSR2));
    struct sigaction after {};
    ::sigaction(SIGUSR2, nullptr, &after);
    BOOST_TEST((after.sa_handler == before.sa_handler));
}

COROLLA_BACKEND_TEST(bad_signals_are_refused) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    BOOST_CHECK_THROW(loop.add_signal_handler(SIGKILL, [] {}), std::invalid_argument);
    BOOST_CHECK_THROW(loop.add_signal_handler(SIGSTOP, [] {}), std::invalid_argument);
    BOOST_CHECK_THROW(loop.add_signal_handler(0, [] {}), std::invalid_argument);
    BOOST_CHECK_THROW(loop.add_signal_handler(100000, [] {}), std::invalid_argument);
    BOOST_TEST(!loop.remove_signal_handler(-1));
    corolla::event_loop other{corolla::loop_options{.backend = backend}};
    other.add_signal_handler(SIGUSR1, [] {});
    BOOST_CHECK_THROW(loop.add_signal_handler(SIGUSR1, [] {}), corolla::already_registered_error);
    other.close();  // closing releases the signal
    loop.add_signal_handler(SIGUSR1, [] {});
    BOOST_TEST(loop.remove_signal_handler(SIGUSR1));
}
