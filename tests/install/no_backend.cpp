// A program that links corolla::core and no backend: making a loop must fail, and say that
// no backend is linked and which targets to link (the test matches the message).
#include <cstdio>

#include <corolla/core/errors.hpp>
#include <corolla/core/event_loop.hpp>

int main() {
    try {
        corolla::event_loop loop;
    } catch (const corolla::backend_unavailable_error& e) {
        std::printf("%s\n", e.what());
        return 0;
    }
    std::printf("a loop was made although no backend is linked\n");
    return 1;
}
