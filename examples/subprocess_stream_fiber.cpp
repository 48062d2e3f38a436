// subprocess_stream.cpp in fiber style: the same calls, awaited with corolla::await.
#include <cstdio>
#include <string>
#include <vector>

#include <corolla/fiber/fiber.hpp>
#include <corolla/process/process.hpp>

namespace sp = corolla::subprocess;

namespace {

bool main_fiber() {
    sp::process_options o;
    o.stdout_mode = sp::redirect::pipe;
    o.stderr_mode = sp::redirect::to_stdout;
    sp::process child = corolla::await(
        sp::create_subprocess_shell("for i in 1 2 3; do echo \"line $i\"; done; echo warning >&2; exit 4", o));
    std::vector<std::string> lines;
    for (;;) {
        std::string line = corolla::await(child.stdout_reader().readline());
        if (line.empty()) break;  // EOF
        std::printf("child says: %s", line.c_str());
        lines.push_back(line);
    }
    const int code = corolla::await(child.wait());
    std::printf("child exited with %d\n", code);

    sp::process_options both;
    both.stdin_mode = sp::redirect::pipe;
    both.stdout_mode = sp::redirect::pipe;
    sp::process tr = corolla::await(sp::create_subprocess_exec("tr", {"a-z", "A-Z"}, both));
    sp::communicate_result r = corolla::await(tr.communicate(std::string("shout this\n")));
    std::printf("tr answered: %s", r.stdout_data.c_str());

    const std::vector<std::string> want{"line 1\n", "line 2\n", "line 3\n", "warning\n"};
    return lines == want && code == 4 && r.stdout_data == "SHOUT THIS\n" && tr.returncode() == 0;
}

}  // namespace

int main() {
    corolla::event_loop loop;
    const bool ok = loop.run_until_complete(corolla::spawn_fiber(loop, main_fiber));
    loop.close();
    std::printf("%s\n", ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
