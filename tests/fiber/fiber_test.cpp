// Fibers (adapters/fiber) as tasks of the one task model: results and arguments, awaits of
// every kind, cancellation at the await a fiber is blocked in, bridges with coroutine
// tasks both ways, errors for awaiting outside a fiber, per-fiber exception state, stack
// sizes and reuse, and unwinding of fibers abandoned by a closing loop. Over every backend.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <corolla/core/combinators.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/core/task_group.hpp>
#include <corolla/coro/async_generator.hpp>
#include <corolla/coro/await.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/coro/with_task_group.hpp>
#include <corolla/fiber/fiber.hpp>
#include <corolla/fiber/with_task_group.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using namespace std::chrono_literals;
using corolla::coro;
using corolla::test::loop_fixture;
using strings = std::vector<std::string>;

namespace {

struct counted {
    int* alive;
    explicit counted(int* a) : alive(a) { ++*alive; }
    counted(const counted&) = delete;
    ~counted() { --*alive; }
};

coro<int> coro_add_later(int a, int b) {
    co_await corolla::sleep(1s);
    co_return a + b;
}

coro<void> coro_throws() {
    co_await corolla::sleep(1s);
    throw std::runtime_error("from a coroutine");
}

int deep(int n) {
    volatile char pad[1024];
    pad[0] = static_cast<char>(n);
    return n == 0 ? pad[0] : deep(n - 1) + 1 + pad[0] * 0;
}

}  // namespace

COROLLA_BACKEND_TEST(fiber_returns_its_value_and_takes_arguments_like_std_thread) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    int shared = 0;
    auto t = corolla::spawn_fiber(
        loop,
        [](std::unique_ptr<int> p, int n, int& out) {
            out = 5;
            return *p + n;
        },
        std::make_unique<int>(40), 2, std::ref(shared));
    BOOST_TEST((t.task_state() == corolla::task_status::pending));
    BOOST_TEST(loop.run_until_complete(t) == 42);
    BOOST_TEST(shared == 5);
    BOOST_TEST(corolla::fiber_stacks().in_use == 0u);
}

COROLLA_BACKEND_TEST(await_suspends_only_the_fiber_until_the_future_is_done) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto f = loop.create_future<int>();
    auto fib = corolla::spawn_fiber(loop, [&] {
        log.push_back("fiber waits");
        int v = corolla::await(f);
        log.push_back("fiber got " + std::to_string(v));
        return v * 2;
    });
    auto other = corolla::spawn_fiber(loop, [&] {
        log.push_back("other runs");
        corolla::this_fiber::sleep(500ms);
        log.push_back("other slept");
    });
    loop.call_later(1s, [&] { f.set_result(21); });
    BOOST_TEST(loop.run_until_complete(fib) == 42);
    loop.run_until_complete(other);
    BOOST_TEST(log == (strings{"fiber waits", "other runs", "other slept", "fiber got 21"}));
}

COROLLA_BACKEND_TEST(coroutines_and_fibers_await_each_other_with_results_and_exceptions) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto fib_value = corolla::spawn_fiber(loop, [] {
        corolla::this_fiber::sleep(1s);
        return 7;
    });
    auto fib_fail = corolla::spawn_fiber(loop, []() -> int {
        corolla::this_fiber::sleep(1s);
        throw std::runtime_error("from a fiber");
    });
    auto from_coro = corolla::create_task(loop, [](corolla::task<int> a, corolla::task<int> b) -> coro<std::string> {
        int v = co_await a;
        std::string what;
        try {
            co_await b;
        } catch (const std::runtime_error& e) {
            what = e.what();
        }
        co_return std::to_string(v) + " " + what;
    }(fib_value, fib_fail));
    BOOST_TEST(loop.run_until_complete(from_coro) == std::string("7 from a fiber"));

    auto coro_task = corolla::create_task(loop, coro_add_later(1, 2));
    auto failing = corolla::create_task(loop, coro_throws());
    auto from_fiber = corolla::spawn_fiber(loop, [&] {
        int v = corolla::await(coro_task);
        try {
            corolla::await(failing);
        } catch (const std::runtime_error& e) {
            return std::to_string(v) + " " + e.what();
        }
        return std::string("no exception");
    });
    BOOST_TEST(loop.run_until_complete(from_fiber) == std::string("3 from a coroutine"));
}

COROLLA_BACKEND_TEST(a_fiber_runs_a_coro_inline_and_its_awaits_suspend_the_fiber) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto t0 = loop.time();
    auto t = corolla::spawn_fiber(loop, [&] {
        int a = corolla::await(coro_add_later(2, 3));
        int b = corolla::await(coro_add_later(a, 10));
        return a + b;
    });
    BOOST_TEST(loop.run_until_complete(t) == 20);
    BOOST_TEST((loop.time() - t0 == corolla::duration(2s)));
    // No task was created for the coros: they ran inside the fiber's task.
    BOOST_TEST(corolla::all_tasks(loop).empty());
}

COROLLA_BACKEND_TEST(cancel_reaches_the_await_a_fiber_is_blocked_in_and_may_be_caught) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = corolla::spawn_fiber(loop, [&] {
        try {
            corolla::this_fiber::sleep(10s);
            log.push_back("not reached");
        } catch (const corolla::cancelled_error& e) {
            log.push_back("cancelled: " + e.message());
            BOOST_TEST(corolla::current_task().cancelling() == 1u);
            corolla::current_task().uncancel();
        }
        corolla::this_fiber::sleep(1s);
        return 5;
    });
    loop.call_later(1s, [&] { t.cancel("stop"); });
    BOOST_TEST(loop.run_until_complete(t) == 5);
    BOOST_TEST(!t.cancelled());
    BOOST_TEST(t.cancelling() == 0u);
    BOOST_TEST(log == (strings{"cancelled: stop"}));
}

COROLLA_BACKEND_TEST(cancel_inside_an_awaited_coro_lands_in_the_coro_then_the_fiber) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto body = [&log]() -> coro<void> {
        try {
            co_await corolla::sleep(10s);
        } catch (const corolla::cancelled_error&) {
            log.push_back("coro saw it");
            throw;
        }
    };
    auto t = corolla::spawn_fiber(loop, [&] {
        try {
            corolla::await(body());
        } catch (const corolla::cancelled_error&) {
            log.push_back("fiber saw it");
            throw;
        }
    });
    loop.call_later(1s, [&] { t.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(t.cancelled());
    BOOST_TEST(log == (strings{"coro saw it", "fiber saw it"}));
}

COROLLA_BACKEND_TEST(a_fiber_cancelled_before_its_first_step_never_runs) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    bool ran = false;
    auto t = corolla::spawn_fiber(loop, [&] { ran = true; });
    t.cancel();
    BOOST_CHECK_THROW(loop.run_until_complete(t), corolla::cancelled_error);
    BOOST_TEST(!ran);
    BOOST_TEST(corolla::fiber_stacks().in_use == 0u);
}

COROLLA_BACKEND_TEST(yield_gives_up_exactly_one_iteration) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto t = corolla::spawn_fiber(loop, [&] {
        log.push_back("fiber 1");
        loop.call_soon([&] { log.push_back("callback"); });
        corolla::this_fiber::yield();
        log.push_back("fiber 2");
        corolla::await(corolla::sleep(0s));
        log.push_back("fiber 3");
    });
    loop.run_until_complete(t);
    BOOST_TEST(log == (strings{"fiber 1", "callback", "fiber 2", "fiber 3"}));
}

COROLLA_BACKEND_TEST(awaiting_outside_a_fiber_is_a_clear_error_never_a_block) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto pending = loop.create_future<int>();
    BOOST_CHECK_THROW(corolla::await(pending), corolla::invalid_state_error);
    BOOST_CHECK_THROW(corolla::this_fiber::yield(), corolla::invalid_state_error);
    BOOST_TEST(!corolla::this_fiber::inside());
    auto ready = loop.create_future<int>();
    ready.set_result(3);
    BOOST_TEST(corolla::await(ready) == 3);  // a done future never needs to suspend
    // From a coroutine task: the coroutine must co_await instead.
    auto t = corolla::create_task(loop, [](corolla::future<int> f) -> coro<std::string> {
        try {
            corolla::await(f);
        } catch (const corolla::invalid_state_error& e) {
            co_return std::string(e.what());
        }
        co_return std::string("no error");
    }(pending));
    BOOST_TEST(loop.run_until_complete(t).find("outside of a fiber") != std::string::npos);
    BOOST_CHECK_THROW(corolla::spawn_fiber([] {}), corolla::invalid_state_error);  // no running loop
    pending.cancel();
}

COROLLA_BACKEND_TEST(each_fiber_keeps_its_own_exception_state_across_awaits_in_catch_blocks) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto rethrow_after_wait = [](std::string mine, corolla::duration wait) {
        try {
            throw std::runtime_error(mine);
        } catch (...) {
            corolla::this_fiber::sleep(wait);  // another fiber throws and catches meanwhile
            try {
                throw;  // must rethrow this fiber's exception
            } catch (const std::runtime_error& e) {
                return std::string(e.what());
            }
        }
    };
    // a catches first and resumes first: its handler is not the innermost one on the thread.
    auto a = corolla::spawn_fiber(loop, rethrow_after_wait, std::string("a"), corolla::duration(1s));
    auto b = corolla::spawn_fiber(loop, rethrow_after_wait, std::string("b"), corolla::duration(2s));
    auto unwinding = corolla::spawn_fiber(loop, [] {
        struct in_flight {
            int* seen;
            ~in_flight() {
                corolla::this_fiber::sleep(3s);  // suspends during stack unwinding
                *seen = std::uncaught_exceptions();
            }
        };
        int seen = -1;
        try {
            in_flight guard{&seen};
            throw std::logic_error("unwinding");
        } catch (const std::logic_error&) {
        }
        return seen;
    });
    // While `unwinding` is suspended mid-unwind, other code sees no exception in flight.
    auto checker = corolla::spawn_fiber(loop, [] {
        corolla::this_fiber::sleep(1s);
        return std::uncaught_exceptions();
    });
    BOOST_TEST(loop.run_until_complete(checker) == 0);
    BOOST_TEST(loop.run_until_complete(a) == std::string("a"));
    BOOST_TEST(loop.run_until_complete(b) == std::string("b"));
    BOOST_TEST(loop.run_until_complete(unwinding) == 1);
    BOOST_TEST(std::uncaught_exceptions() == 0);
}

COROLLA_BACKEND_TEST(a_closing_loop_unwinds_suspended_fibers_and_releases_their_stacks) {
    int alive = 0;
    bool caught_and_awaited_again = false;
    {
        corolla::event_loop loop{corolla::loop_options{.backend = backend}};
        auto never = loop.create_future<void>();
        corolla::spawn_fiber(loop, [&] {
            counted c(&alive);
            corolla::await(never);
        });
        corolla::spawn_fiber(loop, [&] {
            counted c(&alive);
            try {
                corolla::await(never);
            } catch (...) {  // swallows the unwind: the next await unwinds again
                caught_and_awaited_again = true;
                corolla::this_fiber::yield();
            }
        });
        for (int i = 0; i < 3; ++i)
            loop.run_once(true);
        BOOST_TEST(alive == 2);
        BOOST_TEST(corolla::fiber_stacks().in_use == 2u);
        loop.close();
        BOOST_TEST(alive == 0);
        BOOST_TEST(corolla::fiber_stacks().in_use == 0u);
    }
    BOOST_TEST(caught_and_awaited_again);
}

COROLLA_BACKEND_TEST(stacks_are_reused_not_mapped_per_spawn) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    const auto before = corolla::fiber_stacks();
    for (int round = 0; round < 200; ++round) {
        auto t = corolla::spawn_fiber(
            loop, [](int i) { return i; }, round);
        BOOST_TEST(loop.run_until_complete(t) == round);
    }
    std::vector<corolla::future<void>> many;
    for (int i = 0; i < 50; ++i)
        many.push_back(corolla::spawn_fiber(loop, [] { corolla::this_fiber::sleep(1s); }));
    loop.run_until_complete(corolla::gather(loop, many));
    const auto after = corolla::fiber_stacks();
    BOOST_TEST(after.in_use == 0u);
    BOOST_TEST(after.mapped <= before.mapped + 50u);  // 250 fibers, at most 50 at once
    BOOST_TEST(after.pooled == after.mapped);
}

COROLLA_BACKEND_TEST(stack_size_comes_from_the_fiber_then_the_process_default) {
    const std::size_t big = std::size_t{4} << 20;
    const std::size_t builtin = corolla::default_fiber_stack_size();
    BOOST_TEST(builtin < big);
    corolla::event_loop loop{corolla::loop_options{.backend = backend}};
    // ~2 MiB of frames: more than the built-in default stack, within the fiber's own size.
    auto from_fiber =
        corolla::spawn_fiber(loop, corolla::fiber_options{.name = "big", .stack_size = big}, [] { return deep(2000); });
    BOOST_TEST(loop.run_until_complete(from_fiber) == 2000);
    // ... and within the process default once it is raised; 0 restores the built-in one.
    corolla::set_default_fiber_stack_size(big);
    BOOST_TEST(corolla::default_fiber_stack_size() == big);
    auto from_default = corolla::spawn_fiber(loop, [] { return deep(2000); });
    BOOST_TEST(loop.run_until_complete(from_default) == 2000);
    corolla::set_default_fiber_stack_size(0);
    BOOST_TEST(corolla::default_fiber_stack_size() == builtin);
    loop.close();
}

COROLLA_BACKEND_TEST(fibers_are_tasks_for_names_current_task_all_tasks_and_the_printed_form) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    std::string inside;
    auto t = corolla::spawn_fiber(loop, corolla::fiber_options{.name = "worker"}, [&] {
        inside = corolla::current_task().get_name();
        corolla::this_fiber::sleep(1s);
    });
    BOOST_TEST(t.get_name() == std::string("worker"));
    BOOST_TEST(corolla::all_tasks(loop).size() == 1u);
    loop.run_once(true);
    BOOST_TEST(inside == std::string("worker"));
    const std::string printed = t.to_string();
    BOOST_TEST(printed.find("<task pending name='worker' fiber=<") == 0u, printed);
    loop.run_until_complete(t);
    BOOST_TEST(t.to_string().find("finished") != std::string::npos);
}

COROLLA_BACKEND_TEST(shield_and_wait_for_behave_in_a_fiber_as_in_a_coroutine) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    auto inner = corolla::spawn_fiber(loop, [] {
        corolla::this_fiber::sleep(3s);
        return 9;
    });
    auto outer = corolla::spawn_fiber(loop, [&] { return corolla::await(corolla::shield(inner)); });
    loop.call_later(1s, [&] { outer.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(outer), corolla::cancelled_error);
    BOOST_TEST(loop.run_until_complete(inner) == 9);  // the shielded work went on

    auto slow = corolla::spawn_fiber(loop, [] {
        corolla::this_fiber::sleep(10s);
        return 1;
    });
    auto waiter = corolla::spawn_fiber(loop, [&] {
        try {
            return corolla::await(corolla::wait_for(slow, 2s));
        } catch (const corolla::timeout_error&) {
            return -1;
        }
    });
    BOOST_TEST(loop.run_until_complete(waiter) == -1);
    BOOST_TEST(slow.cancelled());
}

COROLLA_BACKEND_TEST(a_task_group_holds_coroutine_and_fiber_tasks_together) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto fiber_child = [](strings& l, corolla::duration d) {
        try {
            corolla::this_fiber::sleep(d);
            l.push_back("fiber child done");
        } catch (const corolla::cancelled_error&) {
            l.push_back("fiber child cancelled");
            throw;
        }
    };
    auto coro_failer = [](corolla::duration d) -> coro<void> {
        co_await corolla::sleep(d);
        throw std::runtime_error("coroutine child failed");
    };
    // A coroutine body with a fiber child and a coroutine child; the coroutine child's
    // failure cancels the fiber.
    auto body = [&]() -> coro<std::string> {
        try {
            co_await corolla::with_task_group([&](corolla::task_group& tg) -> coro<void> {
                tg.create_task(corolla::as_fiber(fiber_child, std::ref(log), corolla::duration(10s)));
                tg.create_task(coro_failer(1s));
                co_return;
            });
        } catch (const corolla::exception_group& g) {
            co_return "group of " + std::to_string(g.exceptions().size());
        }
        co_return std::string("no group");
    };
    auto t = corolla::create_task(loop, body());
    BOOST_TEST(loop.run_until_complete(t) == std::string("group of 1"));
    // And a fiber body with the same children.
    auto f = corolla::spawn_fiber(loop, [&] {
        corolla::with_task_group([&](corolla::task_group& tg) {
            tg.create_task(corolla::as_fiber(fiber_child, std::ref(log), corolla::duration(1s)));
            tg.create_task(coro_add_later(1, 1));
        });
        return 1;
    });
    BOOST_TEST(loop.run_until_complete(f) == 1);
    BOOST_TEST(log == (strings{"fiber child cancelled", "fiber child done"}));
}

COROLLA_BACKEND_TEST(a_fiber_consumes_an_async_generator_and_cancellation_reaches_its_body) {
    loop_fixture fx(backend);
    auto& loop = fx.loop();
    strings log;
    auto ticks = [&log](int n) -> corolla::async_generator<int> {
        try {
            for (int i = 0; i < n; ++i) {
                co_await corolla::sleep(1s);
                co_yield i;
            }
        } catch (const corolla::cancelled_error&) {
            log.push_back("body cancelled");
            throw;
        }
    };
    auto sum = corolla::spawn_fiber(loop, [&] {
        auto g = ticks(4);
        int s = 0;
        while (auto v = corolla::await(g.next()))
            s += *v;
        return s;
    });
    BOOST_TEST(loop.run_until_complete(sum) == 6);
    auto stuck = corolla::spawn_fiber(loop, [&] {
        auto g = ticks(100);
        while (auto v = corolla::await(g.next()))
            log.push_back("item " + std::to_string(*v));
    });
    loop.call_later(2500ms, [&] { stuck.cancel(); });
    BOOST_CHECK_THROW(loop.run_until_complete(stuck), corolla::cancelled_error);
    BOOST_TEST(log == (strings{"item 0", "item 1", "body cancelled"}));
}

COROLLA_BACKEND_TEST(spawning_on_a_closed_loop_is_refused) {
    corolla::event_loop loop{corolla::loop_options{.backend = backend}};
    loop.close();
    bool ran = false;
    BOOST_CHECK_THROW(corolla::spawn_fiber(loop, [&] { ran = true; }), corolla::loop_closed_error);
    BOOST_TEST(!ran);
}
