// The selectors-style readiness API: add_reader on a pipe, a writer fed by timers, the
// reader removing itself at EOF, and call_soon_threadsafe from a worker thread.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <unistd.h>

#include <corolla/core/event_loop.hpp>

int main() {
    using namespace std::chrono_literals;
    corolla::event_loop loop;
    int p[2];
    if (::pipe(p) != 0) return 2;
    std::string received;
    loop.add_reader(p[0], [&] {
        char buf[64];
        const ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n > 0) {
            received.append(buf, static_cast<std::size_t>(n));
            std::printf("reader got %zd bytes\n", n);
            return;
        }
        std::printf("reader saw EOF\n");
        loop.remove_reader(p[0]);
        loop.stop();
    });
    int chunk = 0;
    for (const char* word : {"spam ", "eggs ", "ham"})
        loop.call_later(10ms * ++chunk, [&, word] { (void)!::write(p[1], word, std::string(word).size()); });
    // A worker thread asks the loop to close the write end once it is done.
    std::thread worker([&] { loop.call_soon_threadsafe([&] { loop.call_later(50ms, [&] { ::close(p[1]); }); }); });
    loop.run_forever();
    worker.join();
    ::close(p[0]);
    loop.close();
    const bool ok = received == "spam eggs ham";
    std::printf("received \"%s\": %s\n", received.c_str(), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
