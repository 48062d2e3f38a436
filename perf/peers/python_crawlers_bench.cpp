// Python asyncio peer of the crawlers scenarios: the command line that runs
// peers/asyncio_crawlers.py with the python3 found at configure time. The script times the
// crawl itself (not interpreter start-up) and prints one sample line.
#include <string>
#include <vector>

#include "support/bench_support.hpp"

namespace corolla::bench {

std::vector<std::string> python_crawlers_argv(std::size_t n) {
    return {COROLLA_BENCH_PYTHON, COROLLA_BENCH_PEERS_DIR "/asyncio_crawlers.py", std::to_string(n)};
}

}  // namespace corolla::bench
