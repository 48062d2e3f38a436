// corolla::process on its own (with a backend): a child's output read to EOF and its exit
// code, through as_future.
#include <cstdio>
#include <string>

#include <corolla/core/operation.hpp>
#include <corolla/process/process.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    namespace sp = corolla::subprocess;
    corolla::event_loop loop{corolla::loop_options{.backend = argv[1]}};
    sp::process_options opts;
    opts.stdout_mode = sp::redirect::pipe;
    sp::process p = loop.run_until_complete(sp::create_subprocess_shell(loop, "echo pong; exit 3", opts));
    const sp::communicate_result out = loop.run_until_complete(corolla::as_future(loop, p.communicate()));
    const auto code = p.returncode();
    std::printf("process ran on %s: %s", std::string(loop.backend_name()).c_str(), out.stdout_data.c_str());
    return out.stdout_data == "pong\n" && code && *code == 3 ? 0 : 1;
}
