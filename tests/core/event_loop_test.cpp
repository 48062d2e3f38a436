// Loop-level behaviour (asyncio's BaseEventLoop contract), run over every backend.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <corolla/core/event_loop.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using namespace std::chrono_literals;
using corolla::test::clock_kind;
using corolla::test::fd_pair;
using corolla::test::loop_fixture;

COROLLA_BACKEND_TEST(call_soon_is_fifo_and_new_callbacks_wait_for_next_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<int> order;
    loop.call_soon([&] {
        order.push_back(1);
        loop.call_soon([&] { order.push_back(4); });
    });
    loop.call_soon([&] { order.push_back(2); });
    loop.call_soon([&] { order.push_back(3); });
    loop.run_once();
    BOOST_TEST(order == (std::vector<int>{1, 2, 3}));
    loop.run_once();
    BOOST_TEST(order == (std::vector<int>{1, 2, 3, 4}));
}

COROLLA_BACKEND_TEST(timers_fire_in_deadline_then_insertion_order_never_early) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> order;
    const auto t0 = loop.time();
    auto note = [&](std::string name, corolla::time_point due) {
        return [&, name, due] {
            BOOST_TEST((loop.time() >= due), name << " fired early");
            order.push_back(name);
        };
    };
    loop.call_later(30ms, note("c30", t0 + 30ms));
    loop.call_later(10ms, note("a10", t0 + 10ms));
    loop.call_at(t0 + 10ms, note("b10", t0 + 10ms));
    loop.call_later(20ms, note("d20", t0 + 20ms));
    loop.call_soon(note("soon", t0));
    loop.call_later(30ms, [&] { loop.stop(); });
    loop.run_forever();
    BOOST_TEST(order == (std::vector<std::string>{"soon", "a10", "b10", "d20", "c30"}));
    BOOST_TEST((loop.time() - t0) == corolla::duration(30ms));  // virtual time jumped exactly
}

COROLLA_BACKEND_TEST(real_clock_timer_is_not_early) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    const auto t0 = std::chrono::steady_clock::now();
    auto f = loop.create_future<int>();
    loop.call_later(1500us, [&] { f.set_result(7); });
    BOOST_TEST(loop.run_until_complete(f) == 7);
    BOOST_TEST((std::chrono::steady_clock::now() - t0) >= 1500us);
}

COROLLA_BACKEND_TEST(seed_call_soon_call_later_call_at_ordering) {
    // The seeds' example: call_later(0.2), call_later(0.1), call_soon, call_at(now+0.3)
    // prints the soon callback first, then by deadline.
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> out;
    auto now = loop.time();
    loop.call_later(200ms, [&] { out.push_back("callback 2"); });
    loop.call_later(100ms, [&] { out.push_back("callback 1"); });
    loop.call_at(now + 300ms, [&] { out.push_back("callback 3"); });
    loop.call_soon([&] { out.push_back("callback 4"); });
    loop.call_later(400ms, [&] { loop.stop(); });
    loop.run_forever();
    BOOST_TEST(out == (std::vector<std::string>{"callback 4", "callback 1", "callback 2", "callback 3"}));
}

COROLLA_BACKEND_TEST(cancelled_handles_do_not_run_and_release_captures) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto token = std::make_shared<int>(0);
    bool ran = false;
    auto h1 = loop.call_soon([&ran, token] { ran = true; });
    auto h2 = loop.call_later(1s, [&ran, token] { ran = true; });
    BOOST_TEST(token.use_count() == 3);
    h1.cancel();
    h2.cancel();
    h2.cancel();  // idempotent
    BOOST_TEST(h1.cancelled());
    BOOST_TEST(token.use_count() == 1);  // captures released at cancel time
    loop.run_once(true);                 // the cancelled timer is at the top of the heap: dropped lazily
    BOOST_TEST(!ran);
    BOOST_TEST(loop.stats().timer_heap == 0u);
}

COROLLA_BACKEND_TEST(callback_cancelling_its_own_handle_is_safe) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::handle self;
    auto payload = std::make_shared<std::string>("still alive");
    std::string seen;
    self = loop.call_soon([&, payload] {
        self.cancel();
        seen = *payload;  // the closure must survive until it returns
    });
    loop.run_once();
    BOOST_TEST(seen == "still alive");
    BOOST_TEST(payload.use_count() == 1);
}

COROLLA_BACKEND_TEST(cancelled_timers_are_purged_with_bounded_growth) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<corolla::timer_handle> hs;
    for (int i = 0; i < 1000; ++i)
        hs.push_back(loop.call_later(1h + i * 1ms, [] {}));
    for (int i = 0; i < 900; ++i)
        hs[static_cast<std::size_t>(i) + 100].cancel();
    BOOST_TEST(loop.stats().timers == 100u);
    loop.run_once(true);
    BOOST_TEST(loop.stats().timer_heap == 100u);  // rebuilt: more than half were cancelled
    for (auto& h : hs)
        h.cancel();
    loop.run_once(true);
    BOOST_TEST(loop.stats().timer_heap == 0u);
}

// asyncio's rule exactly: the heap is rebuilt once it holds more than 100 entries of which
// more than half are cancelled (not once more than 100 are cancelled), and cancelled
// timers at its head are popped.
COROLLA_BACKEND_TEST(cancelled_timers_are_swept_by_asyncio_rule) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<corolla::timer_handle> hs;
    for (int i = 0; i < 150; ++i)
        hs.push_back(loop.call_later(1h + i * 1ms, [] {}));
    for (std::size_t i = 60; i < 150; ++i)  // 90 of 150, none at the head
        hs[i].cancel();
    loop.run_once(true);
    BOOST_TEST(loop.stats().timer_heap == 60u);

    // 100 entries are not more than 100: only the cancelled head is popped.
    for (auto& h : hs)
        h.cancel();
    loop.run_once(true);
    hs.clear();
    for (int i = 0; i < 100; ++i)
        hs.push_back(loop.call_later(1h + i * 1ms, [] {}));
    for (std::size_t i = 40; i < 100; ++i)
        hs[i].cancel();
    hs[0].cancel();
    loop.run_once(true);
    BOOST_TEST(loop.stats().timer_heap == 99u);

    // Churn: a server arming and cancelling a timeout per request, a few live timers.
    for (auto& h : hs)
        h.cancel();
    loop.run_once(true);
    hs.clear();
    for (int i = 0; i < 5; ++i)
        hs.push_back(loop.call_later(2h, [] {}));
    std::size_t biggest = 0;
    for (int i = 0; i < 10000; ++i) {
        loop.call_later(3h + i * 1ms, [] {}).cancel();  // behind the live ones: never at the head
        loop.run_once(true);
        biggest = std::max(biggest, loop.stats().timer_heap);
    }
    BOOST_TEST(biggest <= 101u);
    BOOST_TEST(loop.stats().timers == 5u);
    for (auto& h : hs)
        h.cancel();
    loop.run_once(true);
}

COROLLA_BACKEND_TEST(stop_before_run_forever_runs_one_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int n = 0;
    loop.call_soon([&] {
        ++n;
        loop.call_soon([&] { ++n; });
    });
    loop.stop();
    loop.run_forever();
    BOOST_TEST(n == 1);
    BOOST_TEST(!loop.is_running());
    fx.drain();
    BOOST_TEST(n == 2);
}

COROLLA_BACKEND_TEST(stop_finishes_the_current_batch_only) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<int> ran;
    loop.call_soon([&] {
        ran.push_back(1);
        loop.stop();
        loop.call_soon([&] { ran.push_back(3); });
    });
    loop.call_soon([&] { ran.push_back(2); });
    loop.run_forever();
    BOOST_TEST(ran == (std::vector<int>{1, 2}));
    fx.drain();
    BOOST_TEST(ran.size() == 3u);
}

COROLLA_BACKEND_TEST(run_until_complete_returns_result_or_throws) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto f = loop.create_future<std::string>();
    loop.call_later(5s, [&] { f.set_result("done"); });
    BOOST_TEST(loop.run_until_complete(f) == "done");

    auto g = loop.create_future<int>();
    loop.call_soon([&] { g.set_exception(std::make_exception_ptr(std::runtime_error("boom"))); });
    BOOST_CHECK_EXCEPTION(loop.run_until_complete(g), std::runtime_error,
                          [](const std::runtime_error& e) { return std::string(e.what()) == "boom"; });

    auto v = loop.create_future<void>();
    loop.call_soon([&] { v.set_result(); });
    BOOST_CHECK_NO_THROW(loop.run_until_complete(v));
    fx.drain();
}

COROLLA_BACKEND_TEST(run_until_complete_stopped_early_is_an_error) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto f = loop.create_future<int>();
    loop.call_soon([&] { loop.stop(); });
    BOOST_CHECK_THROW(loop.run_until_complete(f), corolla::invalid_state_error);
    corolla::event_loop other{corolla::loop_options{.backend = backend}};
    auto foreign = other.create_future<int>();
    BOOST_CHECK_THROW(loop.run_until_complete(foreign), std::invalid_argument);
    fx.drain();
}

COROLLA_BACKEND_TEST(reentrant_and_nested_runs_are_refused) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    corolla::event_loop other{corolla::loop_options{.backend = backend}};
    int refused = 0;
    loop.call_soon([&] {
        auto f = loop.create_future<int>();
        try {
            loop.run_until_complete(f);
        } catch (const corolla::loop_running_error&) {
            ++refused;
        }
        try {
            loop.run_forever();
        } catch (const corolla::loop_running_error&) {
            ++refused;
        }
        try {
            other.run_once(true);  // another loop on the same thread
        } catch (const corolla::loop_running_error&) {
            ++refused;
        }
        try {
            loop.close();
        } catch (const corolla::loop_running_error&) {
            ++refused;
        }
        BOOST_TEST(corolla::event_loop::running() == &loop);
        loop.stop();
    });
    loop.run_forever();
    BOOST_TEST(refused == 4);
    BOOST_TEST(corolla::event_loop::running() == nullptr);
}

COROLLA_BACKEND_TEST(closed_loop_refuses_everything) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto captured = std::make_shared<int>(1);
    loop.call_soon([captured] {});
    loop.call_later(1s, [captured] {});
    auto p = fd_pair::pipe();
    loop.add_reader(p.a, [captured] {});
    BOOST_TEST(!loop.is_closed());
    loop.close();
    loop.close();  // idempotent
    BOOST_TEST(loop.is_closed());
    BOOST_TEST(captured.use_count() == 1);  // everything queued was dropped
    BOOST_CHECK_THROW(loop.call_soon([] {}), corolla::loop_closed_error);
    BOOST_CHECK_THROW(loop.call_later(1s, [] {}), corolla::loop_closed_error);
    BOOST_CHECK_THROW(loop.call_soon_threadsafe([] {}), corolla::loop_closed_error);
    BOOST_CHECK_THROW(loop.run_forever(), corolla::loop_closed_error);
    BOOST_CHECK_THROW(loop.run_once(), corolla::loop_closed_error);
    BOOST_CHECK_THROW((void)loop.create_future<int>(), corolla::loop_closed_error);
    BOOST_CHECK_THROW(loop.add_reader(p.a, [] {}), corolla::loop_closed_error);
    BOOST_CHECK_THROW(loop.selector(), corolla::loop_closed_error);
    BOOST_TEST(!loop.remove_reader(p.a));
}

COROLLA_BACKEND_TEST(absurd_deadlines_neither_overflow_nor_fire) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int fired = 0;
    auto a = loop.call_at(corolla::time_point::max(), [&] { ++fired; });
    auto b = loop.call_later(std::chrono::hours::max(), [&] { ++fired; });
    auto c = loop.call_later(std::chrono::duration<double>(1e300), [&] { ++fired; });
    auto d = loop.call_later(corolla::duration::max(), [&] { ++fired; });
    BOOST_TEST((b.when() == corolla::time_point::max()));
    BOOST_TEST((c.when() == corolla::time_point::max()));
    bool early = false;
    loop.call_later(-5s, [&] { early = true; });  // negative delay: as soon as possible
    auto f = loop.create_future<int>();
    loop.call_later(10s, [&] { f.set_result(1); });
    BOOST_TEST(loop.run_until_complete(f) == 1);
    BOOST_TEST(early);
    BOOST_TEST(fired == 0);
    for (auto* h : {&a, &b, &c, &d})
        h->cancel();
    fx.drain();
}

COROLLA_BACKEND_TEST(exception_in_callback_goes_to_handler_and_loop_continues) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> seen;
    loop.set_exception_handler([&](corolla::event_loop&, const corolla::exception_context& ctx) {
        try {
            std::rethrow_exception(ctx.exception);
        } catch (const std::exception& e) {
            seen.push_back(ctx.message.substr(0, 12) + "|" + e.what());
        }
        BOOST_TEST(std::string(ctx.where.file_name()).find("event_loop_test.cpp") != std::string::npos);
    });
    bool after = false;
    loop.call_soon([] { throw std::logic_error("first"); });
    loop.call_soon([&] { after = true; });
    loop.call_later(1s, [] { throw std::logic_error("timer"); });
    loop.call_later(2s, [&] { loop.stop(); });
    loop.run_forever();
    BOOST_TEST(after);
    BOOST_TEST(seen == (std::vector<std::string>{"Exception in|first", "Exception in|timer"}));
}

COROLLA_BACKEND_TEST(failing_exception_handler_falls_back_to_default) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> logged;
    loop.set_log_handler([&](corolla::log_level level, std::string_view msg) {
        if (level == corolla::log_level::error) logged.emplace_back(msg);
    });
    loop.set_exception_handler(
        [](corolla::event_loop&, const corolla::exception_context&) { throw std::runtime_error("handler broke"); });
    loop.call_soon([] { throw std::runtime_error("original"); });
    loop.run_once();
    BOOST_TEST_REQUIRE(logged.size() == 1u);
    BOOST_TEST(logged[0].find("Unhandled error in exception handler") != std::string::npos);
    BOOST_TEST(logged[0].find("handler broke") != std::string::npos);
}

COROLLA_BACKEND_TEST(debug_mode_warns_about_slow_callbacks) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::vector<std::string> warnings;
    loop.set_log_handler([&](corolla::log_level level, std::string_view msg) {
        if (level == corolla::log_level::warning) warnings.emplace_back(msg);
    });
    loop.set_debug(true);
    loop.set_slow_callback_duration(50ms);
    loop.call_soon([&] { fx.vclock()->advance(120ms); });  // "takes" 120 ms
    loop.call_soon([&] { fx.vclock()->advance(10ms); });
    loop.run_once();
    BOOST_TEST_REQUIRE(warnings.size() == 1u);
    BOOST_TEST(warnings[0].find("took 0.120 seconds") != std::string::npos, warnings[0]);
    BOOST_TEST(warnings[0].find("event_loop_test.cpp") != std::string::npos, warnings[0]);
    loop.set_debug(false);
    loop.call_soon([&] { fx.vclock()->advance(120ms); });
    loop.run_once();
    BOOST_TEST(warnings.size() == 1u);
}

COROLLA_BACKEND_TEST(debug_mode_rejects_calls_from_other_threads) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    loop.set_debug(true);
    bool refused = false;
    bool threadsafe_ran = false;
    loop.call_soon([&] {
        std::thread t([&] {
            try {
                loop.call_soon([] {});
            } catch (const corolla::wrong_thread_error&) {
                refused = true;
            }
            loop.call_soon_threadsafe([&] {
                threadsafe_ran = true;
                loop.stop();
            });
        });
        t.join();
    });
    loop.run_forever();
    BOOST_TEST(refused);
    BOOST_TEST(threadsafe_ran);
}

COROLLA_BACKEND_TEST(reader_and_writer_callbacks) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto sp = fd_pair::socketpair();
    std::string got;
    int writes = 0;
    loop.add_writer(sp.b, [&] {
        ++writes;
        BOOST_TEST(::write(sp.b, "ping", 4) == 4);
        BOOST_TEST(loop.remove_writer(sp.b));
    });
    loop.add_reader(sp.a, [&] {
        char buf[16];
        const ssize_t n = ::read(sp.a, buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        if (got == "ping") {
            BOOST_TEST(loop.remove_reader(sp.a));  // removing itself from inside
            loop.stop();
        }
    });
    BOOST_TEST(loop.stats().readers == 1u);
    BOOST_TEST(loop.stats().writers == 1u);
    loop.run_forever();
    BOOST_TEST(got == "ping");
    BOOST_TEST(writes == 1);
    BOOST_TEST(!loop.remove_reader(sp.a));
    BOOST_TEST(!loop.remove_writer(sp.a));
}

COROLLA_BACKEND_TEST(reader_sees_all_data_before_eof) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto sp = fd_pair::socketpair();
    BOOST_TEST(::write(sp.b, "last words", 10) == 10);
    sp.close_b();
    std::string got;
    bool eof = false;
    loop.add_reader(sp.a, [&] {
        char buf[4];  // small reads: several callbacks before EOF
        const ssize_t n = ::read(sp.a, buf, sizeof buf);
        if (n > 0) {
            got.append(buf, static_cast<std::size_t>(n));
        } else {
            eof = true;
            loop.remove_reader(sp.a);
            loop.stop();
        }
    });
    loop.run_forever();
    BOOST_TEST(got == "last words");
    BOOST_TEST(eof);
}

COROLLA_BACKEND_TEST(reader_and_writer_on_same_fd) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto sp = fd_pair::socketpair();
    int r = 0, w = 0;
    loop.add_writer(sp.a, [&] {
        ++w;
        loop.remove_writer(sp.a);
        BOOST_TEST(::write(sp.b, "x", 1) == 1);
    });
    loop.add_reader(sp.a, [&] {
        ++r;
        char c;
        BOOST_TEST(::read(sp.a, &c, 1) == 1);
        loop.remove_reader(sp.a);
        loop.stop();
    });
    loop.run_forever();
    BOOST_TEST(r == 1);
    BOOST_TEST(w == 1);
}

COROLLA_BACKEND_TEST(stale_event_after_fd_reuse_does_not_reach_new_reader) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto old_pair = fd_pair::pipe();
    BOOST_TEST(::write(old_pair.b, "old", 3) == 3);
    const int n = old_pair.a;
    int old_calls = 0, new_calls = 0;
    fd_pair fresh;
    // Queued before the fd events of this iteration: swaps the file under fd n.
    loop.call_soon([&] {
        loop.remove_reader(n);
        old_pair.close_a();
        fresh = fd_pair::pipe();
        if (fresh.a != n) {
            BOOST_TEST_REQUIRE(::dup2(fresh.a, n) == n);
            ::close(fresh.a);
            fresh.a = n;
        }
        loop.add_reader(n, [&] { ++new_calls; });
    });
    loop.add_reader(n, [&] { ++old_calls; });
    loop.run_once();
    loop.run_once(true);
    BOOST_TEST(old_calls == 0);
    BOOST_TEST(new_calls == 0);
    loop.remove_reader(n);
}

COROLLA_BACKEND_TEST(fd_registration_errors) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto p = fd_pair::pipe();
    BOOST_CHECK_THROW(loop.add_reader(-3, [] {}), corolla::bad_fd_error);
    const int closed_fd = ::dup(p.a);
    ::close(closed_fd);
    BOOST_CHECK_THROW(loop.add_reader(closed_fd, [] {}), corolla::bad_fd_error);
    BOOST_CHECK_THROW(loop.add_writer(closed_fd, [] {}), corolla::bad_fd_error);
    BOOST_TEST(loop.stats().readers == 0u);
    loop.add_reader(p.a, [] {});
    BOOST_CHECK_THROW(loop.add_reader(p.a, [] {}), corolla::already_registered_error);
    BOOST_TEST(!loop.remove_reader(12345));
    BOOST_TEST(!loop.remove_writer(p.a));
    // closing the fd first and removing afterwards is safe
    const int fd = p.a;
    p.close_a();
    BOOST_TEST(loop.remove_reader(fd));
    BOOST_TEST(loop.selector().size() == 0u);
}

COROLLA_BACKEND_TEST(backend_name_reports_what_we_got) {
    loop_fixture fx(backend);
    BOOST_TEST(fx.loop().backend_name() == backend);
    BOOST_TEST(fx.loop().selector().name() == backend);
}
