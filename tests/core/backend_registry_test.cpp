// Choosing backends: by name, by COROLLA_BACKEND, 'auto', errors, and a user-written
// backend registered by name that must behave exactly like a built-in one.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <unistd.h>

#include <corolla/core/backend_registry.hpp>
#include <corolla/core/event_loop.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"

using namespace std::chrono_literals;

namespace {

// A wrapper backend defined here: forwards to a built-in selector and counts calls.
struct counting_selector final : corolla::selector {
    explicit counting_selector(std::unique_ptr<corolla::selector> inner) : inner_(std::move(inner)) {}
    std::string_view name() const noexcept override { return "counting"; }
    corolla::selector_caps caps() const noexcept override { return inner_->caps(); }
    void add(int fd, std::uint32_t i, std::uint64_t t) override { inner_->add(fd, i, t); }
    void modify(int fd, std::uint32_t i, std::uint64_t t) override { inner_->modify(fd, i, t); }
    void remove(int fd) override { inner_->remove(fd); }
    std::size_t select(corolla::duration timeout, std::span<corolla::ready_event> out) override {
        ++selects;
        return inner_->select(timeout, out);
    }
    void wake() noexcept override { inner_->wake(); }
    std::size_t size() const noexcept override { return inner_->size(); }

    static inline int selects = 0;
    std::unique_ptr<corolla::selector> inner_;
};

struct env_guard {
    explicit env_guard(const char* value) {
        if (const char* old = std::getenv("COROLLA_BACKEND")) saved = old, had = true;
        if (value)
            ::setenv("COROLLA_BACKEND", value, 1);
        else
            ::unsetenv("COROLLA_BACKEND");
    }
    ~env_guard() {
        if (had)
            ::setenv("COROLLA_BACKEND", saved.c_str(), 1);
        else
            ::unsetenv("COROLLA_BACKEND");
    }
    std::string saved;
    bool had = false;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(compiled_backends_are_registered_and_available) {
    const auto all = corolla::registered_backends();
    const auto avail = corolla::available_backends();
    BOOST_TEST_REQUIRE(!avail.empty());
    for (const auto& name : all) {
        if (std::find(avail.begin(), avail.end(), name) == avail.end()) {
            // Compiled in but refused by this host (io_uring in a sandbox): a clear error.
            BOOST_CHECK_THROW(corolla::event_loop{corolla::loop_options{.backend = name}},
                              corolla::backend_unavailable_error);
            continue;
        }
        corolla::event_loop loop{corolla::loop_options{.backend = name}};
        BOOST_TEST(loop.backend_name() == name);
    }
}

BOOST_AUTO_TEST_CASE(auto_picks_the_best_available) {
    // io_uring ranks first when compiled in, but `auto` never picks it on its own.
    std::vector<std::string> avail = corolla::available_backends();
    std::erase(avail, "io_uring");
    BOOST_TEST_REQUIRE(!avail.empty());
    corolla::event_loop loop{corolla::loop_options{.backend = "auto"}};
    BOOST_TEST(loop.backend_name() == avail.front());
    BOOST_TEST(loop.backend_name() != "io_uring");
}

BOOST_AUTO_TEST_CASE(environment_variable_chooses_when_no_name_given) {
    const std::string last = corolla::available_backends().back();
    env_guard env(last.c_str());
    corolla::event_loop loop;
    BOOST_TEST(loop.backend_name() == last);
    env_guard bad("no-such-backend");
    BOOST_CHECK_THROW(corolla::event_loop{}, corolla::backend_unavailable_error);
}

BOOST_AUTO_TEST_CASE(unknown_backend_is_a_clear_error) {
    try {
        corolla::event_loop loop{corolla::loop_options{.backend = "carrier-pigeon"}};
        BOOST_FAIL("expected backend_unavailable_error");
    } catch (const corolla::backend_unavailable_error& e) {
        const std::string msg = e.what();
        BOOST_TEST(msg.find("carrier-pigeon") != std::string::npos);
        BOOST_TEST(msg.find("not compiled") != std::string::npos);
        BOOST_TEST(msg.find(corolla::registered_backends().front()) != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(backend_whose_probe_fails_is_refused_and_skipped_by_auto) {
    corolla::register_backend({.name = "unavailable-test",
                               .priority = 1000,
                               .auto_eligible = true,
                               .probe = [] { return false; },
                               .make = [] { return corolla::make_selector("auto"); }});
    BOOST_CHECK_THROW(corolla::make_selector("unavailable-test"), corolla::backend_unavailable_error);
    BOOST_TEST(corolla::resolve_backend("auto") != "unavailable-test");
    corolla::register_backend(
        {.name = "opt-in-test", .priority = 2000, .auto_eligible = false, .probe = {}, .make = [] {
             return corolla::make_selector("auto");
         }});
    BOOST_TEST(corolla::resolve_backend("auto") != "opt-in-test");  // like io_uring: only when asked
    BOOST_TEST(corolla::resolve_backend("opt-in-test") == "opt-in-test");
}

BOOST_AUTO_TEST_CASE(registration_needs_name_and_factory) {
    BOOST_CHECK_THROW(corolla::register_backend({.name = "", .make = [] { return corolla::make_selector("auto"); }}),
                      std::invalid_argument);
    BOOST_CHECK_THROW(corolla::register_backend({.name = "x"}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(user_backend_works_like_a_built_in_one) {
    corolla::register_backend({.name = "counting", .priority = -1, .auto_eligible = false, .probe = {}, .make = [] {
                                   return std::make_unique<counting_selector>(corolla::make_selector("auto"));
                               }});
    corolla::test::loop_fixture fx("counting", corolla::test::clock_kind::real);
    auto& loop = fx.loop();
    counting_selector::selects = 0;
    auto sp = corolla::test::fd_pair::socketpair();
    std::string got;
    loop.add_reader(sp.a, [&] {
        char buf[8];
        const ssize_t n = ::read(sp.a, buf, sizeof buf);
        got.assign(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
        loop.remove_reader(sp.a);
    });
    loop.call_later(1ms, [&] { BOOST_TEST(::write(sp.b, "hey", 3) == 3); });
    auto done = loop.create_future<int>();
    loop.call_later(5ms, [&] { done.set_result(1); });
    loop.run_until_complete(done);
    BOOST_TEST(got == "hey");
    BOOST_TEST(counting_selector::selects > 0);
}

BOOST_AUTO_TEST_CASE(user_selector_object_in_options) {
    corolla::loop_options opts;
    opts.selector = std::make_unique<counting_selector>(corolla::make_selector("auto"));
    corolla::event_loop loop{std::move(opts)};
    BOOST_TEST(loop.backend_name() == "counting");
    counting_selector::selects = 0;
    loop.run_once(true);
    BOOST_TEST(counting_selector::selects == 1);
}

// Iteration contract, step 2: with work queued and no fd registered, a poll could report
// nothing, so the loop skips it; with an fd registered it polls as before. A wake from
// another thread is still seen in the iteration that skips the poll.
BOOST_AUTO_TEST_CASE(poll_skipped_when_work_is_queued_and_no_fd_is_registered) {
    corolla::loop_options opts;
    opts.selector = std::make_unique<counting_selector>(corolla::make_selector("auto"));
    corolla::event_loop loop{std::move(opts)};
    int ran = 0;
    counting_selector::selects = 0;
    loop.call_soon([&] { ++ran; });
    loop.run_once();
    BOOST_TEST(ran == 1);
    BOOST_TEST(counting_selector::selects == 0);

    std::thread other([&] { loop.call_soon_threadsafe([&] { ++ran; }); });
    other.join();
    loop.run_once();
    BOOST_TEST(ran == 2);
    BOOST_TEST(counting_selector::selects == 0);

    auto sp = corolla::test::fd_pair::socketpair();
    loop.add_reader(sp.a, [] {});
    loop.call_soon([&] { ++ran; });
    loop.run_once();
    BOOST_TEST(ran == 3);
    BOOST_TEST(counting_selector::selects == 1);
    loop.remove_reader(sp.a);
}

BOOST_AUTO_TEST_SUITE_END()
