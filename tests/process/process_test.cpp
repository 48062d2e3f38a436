// Child processes (asyncio.subprocess): cat round trips through communicate and through the
// streams, exit codes and deaths by signal, a child ignoring SIGTERM, a thousand children at
// once, a child gone before reading its stdin, a missing program, cancelling wait() or
// communicate(), a new session, and a process dropped or outliving its loop while its child
// runs — never a zombie or an fd left behind. Both styles, every backend; CTest runs the suite with the SIGCHLD watcher
// too.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <corolla/core/errors.hpp>
#include <corolla/core/sleep.hpp>
#include <corolla/process/process.hpp>

#include "support/backend_matrix.hpp"
#include "support/loop_fixture.hpp"
#include "support/style.hpp"

using corolla::test::clock_kind;
using corolla::test::loop_fixture;
namespace test = corolla::test;
namespace net = corolla::net;
namespace sp = corolla::subprocess;
using sp::redirect;

namespace {

/// True when this process has no child left at all, reaped or not (no zombie).
bool no_children() {
    int status = 0;
    return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

/// The child's stdio, for the helpers below.
struct stdio {
    redirect in = redirect::inherit;
    redirect out = redirect::inherit;
    redirect err = redirect::inherit;
};

sp::process_options options_for(stdio s) {
    sp::process_options o;
    o.stdin_mode = s.in;
    o.stdout_mode = s.out;
    o.stderr_mode = s.err;
    return o;
}

// The create calls, with their options built here, outside the coroutines: g++ 12
// mishandles strings in options built inside a coroutine (by a call, or copied inside a
// co_await expression) and braced lists of string literals in a co_await expression.
sp::spawn_op exec(const char* program, const char* arg = nullptr, stdio s = {}, const char* cwd = nullptr) {
    std::vector<std::string> args;
    if (arg) args.emplace_back(arg);
    sp::process_options o = options_for(s);
    if (cwd) o.cwd = cwd;
    return sp::create_subprocess_exec(program, std::move(args), o);
}
sp::spawn_op sleep_in_new_session() {
    sp::process_options o;
    o.start_new_session = true;
    return sp::create_subprocess_exec("sleep", {"100"}, o);
}
/// /bin/sh -c cmd; with_env: in / with GREETING=hello and a bare PATH.
sp::spawn_op shell(const char* cmd, stdio s = {}, bool with_env = false) {
    sp::process_options o = options_for(s);
    if (with_env) {
        o.env = std::vector<std::string>{"GREETING=hello", "PATH=/usr/bin:/bin"};
        o.cwd = "/";
    }
    return sp::create_subprocess_shell(cmd, o);
}

/// Runs the loop until the watcher let go of every child it watched (bounded).
void settle(corolla::event_loop& loop) {
    for (int i = 0; i < 1000; ++i) {
        const auto s = loop.stats();
        if (s.readers == 0 && s.signal_handlers == 0 && s.ready == 0) return;
        loop.run_once();
    }
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

}  // namespace

COROLLA_BACKEND_TEST(cat_round_trip_through_communicate) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        sp::process p = AWAIT(exec("/bin/cat", nullptr, stdio{redirect::pipe, redirect::pipe}));
        BOOST_TEST(p.pid() > 0);
        BOOST_TEST(!p.returncode());
        BOOST_TEST(static_cast<bool>(p.stdin_writer()));
        BOOST_TEST(!p.stderr_reader());
        // More than the pipe holds, so writing, reading and back-pressure interleave.
        const std::string input = pattern(1 << 20);
        sp::communicate_result r = AWAIT(p.communicate(input));
        BOOST_TEST((r.stdout_data == input));
        BOOST_TEST(r.stderr_data.empty());
        BOOST_TEST(p.returncode().value_or(-1000) == 0);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(cat_round_trip_through_the_streams) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        sp::process p = AWAIT(exec("cat", "-", stdio{redirect::pipe, redirect::pipe}));
        net::stream_writer& in = p.stdin_writer();
        net::stream_reader& out = p.stdout_reader();
        for (int i = 0; i < 50; ++i) {
            const std::string line = "line " + std::to_string(i) + "\n";
            in.write(line);
            AWAIT(in.drain());
            BOOST_TEST(AWAIT(out.readline()) == line);
        }
        in.write_eof();  // a pipe has no half-close: this closes it, and cat sees EOF
        BOOST_TEST(AWAIT(out.read()).empty());
        BOOST_TEST(out.at_eof());
        BOOST_TEST(AWAIT(p.wait()) == 0);
        BOOST_TEST(AWAIT(p.wait()) == 0);  // again: at once
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(exit_codes_deaths_by_signal_and_redirections) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        sp::process three = AWAIT(shell("exit 3"));
        BOOST_TEST(AWAIT(three.wait()) == 3);
        BOOST_TEST(three.returncode().value_or(-1000) == 3);

        sp::process sleeper = AWAIT(exec("sleep", "100"));
        sleeper.kill();
        BOOST_TEST(AWAIT(sleeper.wait()) == -SIGKILL);
        // Reaped: its pid may be someone else's now, so signalling it is refused.
        BOOST_CHECK_THROW(sleeper.send_signal(SIGTERM), sp::process_lookup_error);
        BOOST_CHECK_THROW(sleeper.kill(), sp::process_lookup_error);

        // stderr into stdout; stdin from /dev/null (read sees EOF at once).
        sp::process both = AWAIT(shell("read x || echo eof; echo out; echo err >&2",
                                       stdio{redirect::devnull, redirect::pipe, redirect::to_stdout}));
        sp::communicate_result r = AWAIT(both.communicate());
        BOOST_TEST(r.stdout_data == "eof\nout\nerr\n");
        BOOST_TEST(AWAIT(both.wait()) == 0);

        // stderr alone piped; environment and working directory.
        sp::process env = AWAIT(shell("echo $GREETING; pwd; echo oops >&2; exit 7",
                                      stdio{redirect::inherit, redirect::pipe, redirect::pipe}, true));
        r = AWAIT(env.communicate());
        BOOST_TEST(r.stdout_data == "hello\n/\n");
        BOOST_TEST(r.stderr_data == "oops\n");
        BOOST_TEST(env.returncode().value_or(-1000) == 7);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(a_child_ignoring_sigterm_survives_terminate_until_killed) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        sp::process p = AWAIT(shell("trap '' TERM; echo ready; while read x; do echo alive; done",
                                    stdio{redirect::pipe, redirect::pipe}));
        BOOST_TEST(AWAIT(p.stdout_reader().readline()) == "ready\n");  // the trap is set
        p.terminate();  // ignored: an ignored signal is discarded when sent
        p.stdin_writer().write("ping\n");
        BOOST_TEST(AWAIT(p.stdout_reader().readline()) == "alive\n");
        BOOST_TEST(!p.returncode());
        p.kill();
        BOOST_TEST(AWAIT(p.wait()) == -SIGKILL);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(a_thousand_children) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    // select cannot watch fds past FD_SETSIZE: there the children come in waves.
    const int total = 1000;
    const int wave = backend == "select" ? 200 : total;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        int reaped = 0;
        for (int done = 0; done < total; done += wave) {
            std::vector<sp::process> children;
            for (int i = 0; i < wave; ++i)
                children.push_back(AWAIT(exec("/bin/true")));
            for (sp::process& c : children)
                reaped += AWAIT(c.wait()) == 0 ? 1 : 0;
        }
        BOOST_TEST(reaped == total);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(a_child_gone_before_reading_stdin) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        // Writing to a pipe nobody reads is broken_pipe_error (never SIGPIPE).
        sp::process p = AWAIT(shell("exit 0", stdio{redirect::pipe, redirect::inherit}));
        BOOST_TEST(AWAIT(p.wait()) == 0);
        BOOST_CHECK_THROW(p.stdin_writer().write("too late\n"), net::broken_pipe_error);
        BOOST_CHECK_THROW(p.stdin_writer().write("again\n"), net::broken_pipe_error);

        // communicate ignores it, as asyncio does: more input than the pipe holds, to a
        // child that never reads it.
        sp::process q = AWAIT(shell("exit 5", stdio{redirect::pipe, redirect::pipe}));
        sp::communicate_result r = AWAIT(q.communicate(pattern(1 << 20)));
        BOOST_TEST(r.stdout_data.empty());
        BOOST_TEST(q.returncode().value_or(-1000) == 5);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(a_missing_program_is_a_typed_error_and_no_zombie) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        int not_found = 0;
        try {
            AWAIT(exec("/nonexistent/program"));
        } catch (const sp::file_not_found_error& e) {
            not_found += e.code() == ENOENT ? 1 : 0;
        }
        try {
            AWAIT(exec("corolla-no-such-program-in-path", "x"));
        } catch (const sp::file_not_found_error&) {
            ++not_found;
        }
        try {
            AWAIT(exec("/bin/true", nullptr, {}, "/nonexistent/directory"));
        } catch (const sp::file_not_found_error&) {
            ++not_found;
        }
        BOOST_TEST(not_found == 3);
        try {
            AWAIT(exec("/dev/null"));  // not executable
            BOOST_FAIL("spawned /dev/null");
        } catch (const sp::permission_error&) {
        }
        BOOST_CHECK_THROW(AWAIT(exec("/bin/true", nullptr, stdio{redirect::inherit, redirect::to_stdout})),
                          corolla::value_error);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
    // The loop-taking form reports the error through its future.
    auto f = sp::create_subprocess_exec(loop, "/nonexistent/program");
    BOOST_CHECK_THROW(loop.run_until_complete(f), sp::file_not_found_error);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(cancelling_wait_leaves_the_child_running) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        sp::process p = AWAIT(exec("sleep", "100"));
        auto waiting = test::spawn(loop, [p]() mutable -> TASK(int) { RETURN AWAIT(p.wait()); });
        AWAIT(corolla::sleep(std::chrono::milliseconds(0)));  // it waits now
        waiting.cancel();
        BOOST_CHECK_THROW(AWAIT(waiting), corolla::cancelled_error);
        BOOST_TEST(!p.returncode());
        BOOST_TEST(::kill(p.pid(), 0) == 0);  // still there
        // Watched through its pidfd, or through SIGCHLD when CTest asks for the fallback.
        const char* watcher = std::getenv("COROLLA_CHILD_WATCHER");
        if (watcher && std::string(watcher) == "sigchld")
            BOOST_TEST(loop.stats().signal_handlers == 1u);
        else
            BOOST_TEST(loop.stats().readers == 1u);
        p.terminate();
        BOOST_TEST(AWAIT(p.wait()) == -SIGTERM);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(cancelling_communicate_leaves_the_child_running) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        // The child writes, says so on stderr, and goes on (as sleep, same pid): the reads
        // to EOF never finish by themselves.
        sp::process p = AWAIT(shell("echo kept; echo ready >&2; exec sleep 100",
                                    stdio{redirect::inherit, redirect::pipe, redirect::pipe}));
        BOOST_TEST(AWAIT(p.stderr_reader().readline()) == "ready\n");  // "kept" is in the pipe
        bool started = false;
        auto talking = test::spawn(loop, [p, &started]() mutable -> TASK(void) {
            started = true;
            AWAIT(p.communicate());
            RETURN;
        });
        AWAIT(corolla::sleep(std::chrono::milliseconds(0)));
        BOOST_TEST(started);
        talking.cancel();
        BOOST_CHECK_THROW(AWAIT(talking), corolla::cancelled_error);
        BOOST_TEST(!p.returncode());
        BOOST_TEST(::kill(p.pid(), 0) == 0);
        p.kill();
        // The cancelled read consumed nothing: what the child wrote is still there.
        BOOST_TEST(AWAIT(p.stdout_reader().read()) == "kept\n");
        BOOST_TEST(AWAIT(p.wait()) == -SIGKILL);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(start_new_session_makes_the_child_a_session_leader) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        sp::process own = AWAIT(sleep_in_new_session());
        BOOST_TEST(::getsid(own.pid()) == own.pid());
        sp::process plain = AWAIT(exec("sleep", "100"));
        BOOST_TEST(::getsid(plain.pid()) == ::getsid(0));
        own.kill();
        plain.kill();
        BOOST_TEST(AWAIT(own.wait()) == -SIGKILL);
        BOOST_TEST(AWAIT(plain.wait()) == -SIGKILL);
        RETURN;
    });
    loop.run_until_complete(t);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(a_dropped_process_is_killed_and_reaped) {
    loop_fixture fx(backend, clock_kind::real);
    auto& loop = fx.loop();
    int pid = -1;
    auto t = test::spawn(loop, [&]() -> TASK(void) {
        sp::process p = AWAIT(exec("sleep", "100", stdio{redirect::pipe, redirect::pipe}));
        pid = p.pid();
        RETURN;  // dropped while the child runs
    });
    loop.run_until_complete(t);
    settle(loop);  // the loop goes on watching it until it is reaped
    BOOST_TEST(pid > 0);
    BOOST_TEST(no_children());
}

COROLLA_BACKEND_TEST(a_process_outliving_its_loop_reaps_its_child) {
    const int fds = test::count_open_fds();
    std::optional<sp::process> kept;
    {
        corolla::event_loop loop{corolla::loop_options{.backend = backend}};
        kept = loop.run_until_complete(sp::create_subprocess_exec(loop, "sleep", {"100"}));
        BOOST_TEST(!kept->returncode());
        loop.close();
    }
    kept.reset();  // nobody can watch it now: killed and reaped here
    BOOST_TEST(no_children());
    BOOST_TEST(test::count_open_fds() == fds);
}
