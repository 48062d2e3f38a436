// Compiled against the installed headers with no sanitizer flag and no corolla definition
// on the command line: <corolla/config.hpp> alone must say how the library was built, and
// the fiber headers must take the library's switch path from it. The expected values come
// from the build (COROLLA_TEST_EXPECT_*); only compiled, never run.
#include <string_view>

// First, so it must bring <corolla/config.hpp> itself (where the fiber adapter is installed).
#if __has_include(<corolla/fiber/detail/fiber_context.hpp>)
#include <corolla/fiber/detail/fiber_context.hpp>
#if defined(COROLLA_FIBER_INLINE_YIELD) && (COROLLA_TEST_EXPECT_ASAN || COROLLA_TEST_EXPECT_TSAN)
#error "a program built without sanitizer flags would inline the fiber switch of a sanitized library"
#endif
#endif

#include <corolla/config.hpp>

static_assert(std::string_view{COROLLA_BUILT_BACKENDS} == COROLLA_TEST_EXPECT_BACKENDS);
static_assert(std::string_view{COROLLA_DEFAULT_BACKEND} == COROLLA_TEST_EXPECT_DEFAULT);

#if defined(COROLLA_ASAN) != COROLLA_TEST_EXPECT_ASAN || defined(COROLLA_TSAN) != COROLLA_TEST_EXPECT_TSAN
#error "config.hpp does not record the sanitizer the library was built with"
#endif

int main() { return 0; }
