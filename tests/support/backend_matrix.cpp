// The main of every test executable: builds the per-backend suites from the registered
// bodies, then hands over to Boost.Test (plain BOOST_AUTO_TEST_CASEs work as usual).
#include "support/backend_matrix.hpp"

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

int main(int argc, char* argv[]) { return boost::unit_test::unit_test_main(&corolla::test::init_suites, argc, argv); }
