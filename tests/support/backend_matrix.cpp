// The main of every test executable: builds the per-backend suites from the registered
// bodies, then hands over to Boost.Test (plain BOOST_AUTO_TEST_CASEs work as usual).
#include "support/backend_matrix.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include <boost/bind/bind.hpp>
#include <boost/function.hpp>

#include <corolla/core/backend_registry.hpp>

namespace corolla::test {

std::vector<backend_case>& backend_cases() {
    static std::vector<backend_case> cases;
    return cases;
}

namespace {

bool init_suites() {
    namespace ut = boost::unit_test;
    auto& cases = backend_cases();
    if (cases.empty()) return true;
    for (const std::string& backend : corolla::registered_backends()) {
        ut::test_suite* suite = BOOST_TEST_SUITE(backend);
        for (const backend_case& c : cases) {
            boost::function<void()> body = [fn = c.fn, backend] { fn(backend); };
            suite->add(ut::make_test_case(body, c.name, c.file, static_cast<std::size_t>(c.line)));
        }
        ut::framework::master_test_suite().add(suite);
    }
    return true;
}

}  // namespace
}  // namespace corolla::test

/// CTest's SKIP_RETURN_CODE for per-backend tests (tools/cmake/corolla_targets.cmake).
constexpr int skip_code = 77;

int main(int argc, char* argv[]) {
    // A backend compiled in but unable to run on this host (io_uring forbidden by a
    // sandbox, say) is reported as skipped, with the reason, rather than failed.
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--run_test=", 0) != 0) continue;
        const std::string backend =
            a.substr(11, a.find('/') == std::string::npos ? std::string::npos : a.find('/') - 11);
        const auto reg = corolla::registered_backends();
        const auto avail = corolla::available_backends();
        if (std::find(reg.begin(), reg.end(), backend) != reg.end() &&
            std::find(avail.begin(), avail.end(), backend) == avail.end()) {
            std::printf("skipped: the %s backend is compiled in but cannot run on this host\n", backend.c_str());
            return skip_code;
        }
    }
    return boost::unit_test::unit_test_main(&corolla::test::init_suites, argc, argv);
}
