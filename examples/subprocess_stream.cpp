// A child process whose output is streamed line by line as it comes (asyncio's
// create_subprocess_exec with stdout=PIPE and `async for line in proc.stdout`), then a
// second child fed through communicate(). Checks what it read and exits non-zero if it
// differs. The fiber twin is subprocess_stream_fiber.cpp.
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/coro/await.hpp>
#include <corolla/coro/coro.hpp>
#include <corolla/coro/create_task.hpp>
#include <corolla/process/process.hpp>

namespace sp = corolla::subprocess;

namespace {

corolla::coro<bool> main_task() {
    sp::process_options o;
    o.stdout_mode = sp::redirect::pipe;
    o.stderr_mode = sp::redirect::to_stdout;
    sp::process child =
        co_await sp::create_subprocess_shell("for i in 1 2 3; do echo \"line $i\"; done; echo warning >&2; exit 4", o);
    std::vector<std::string> lines;
    for (;;) {
        std::string line = co_await child.stdout_reader().readline();
        if (line.empty()) break;  // EOF
        std::printf("child says: %s", line.c_str());
        lines.push_back(line);
    }
    const int code = co_await child.wait();
    std::printf("child exited with %d\n", code);

    sp::process_options both;
    both.stdin_mode = sp::redirect::pipe;
    both.stdout_mode = sp::redirect::pipe;
    // The arguments first: g++ 12 refuses a braced list of string literals inside a
    // co_await expression.
    std::vector<std::string> args{"a-z", "A-Z"};
    sp::process tr = co_await sp::create_subprocess_exec("tr", std::move(args), both);
    sp::communicate_result r = co_await tr.communicate(std::string("shout this\n"));
    std::printf("tr answered: %s", r.stdout_data.c_str());

    const std::vector<std::string> want{"line 1\n", "line 2\n", "line 3\n", "warning\n"};
    co_return lines == want&& code == 4 && r.stdout_data == "SHOUT THIS\n" && tr.returncode() == 0;
}

}  // namespace

int main() {
    corolla::event_loop loop;
    const bool ok = loop.run_until_complete(corolla::create_task(loop, main_task()));
    loop.close();
    std::printf("%s\n", ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
