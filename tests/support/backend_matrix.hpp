// Test bodies written once and run over every compiled backend. COROLLA_BACKEND_TEST
// registers a body taking the backend name; the test main builds one Boost.Test suite
// per registered backend ("epoll", "poll", ...) holding every body, so CTest can run
// and label each backend separately (`--run_test=epoll`).
#pragma once

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

namespace corolla::test {

using backend_test_fn = void (*)(const std::string& backend);

struct backend_case {
    const char* name;
    backend_test_fn fn;
    const char* file;
    int line;
};

std::vector<backend_case>& backend_cases();

struct backend_case_registrar {
    backend_case_registrar(const char* name, backend_test_fn fn, const char* file, int line) {
        backend_cases().push_back(backend_case{name, fn, file, line});
    }
};

}  // namespace corolla::test

#define COROLLA_BACKEND_TEST(name)                                                                           \
    static void name(const std::string& backend);                                                            \
    static const ::corolla::test::backend_case_registrar name##_registrar{#name, &name, __FILE__, __LINE__}; \
    static void name([[maybe_unused]] const std::string& backend)
