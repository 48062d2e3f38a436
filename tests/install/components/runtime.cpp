// corolla::runtime on its own (with a backend): two loops, a plain function submitted
// from loop 0 to loop 1, its future awaited through a plain future as main.
#include <cstdio>
#include <string>
#include <utility>

#include <corolla/runtime/runtime.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    corolla::runtime_options o;
    o.loops = 2;
    o.backend = argv[1];
    corolla::runtime rt(std::move(o));
    const int v =
        rt.run([&](corolla::event_loop&) { return rt.submit_to(1, [&] { return int(rt.current_index()) + 41; }); });
    std::printf("runtime ran 2 loops on %s: %d\n", argv[1], v);
    return v == 42 ? 0 : 1;
}
