// Compiled against the installed headers with no sanitizer flag and no corolla definition
// on the command line: <corolla/config.hpp> alone must say how the library was built, and
// the fiber headers must show nothing of how the library switches (that is compiled into
// it, so a program's flags cannot disagree with it). The expected values come from the
// build (COROLLA_TEST_EXPECT_*); only compiled, never run.
#include <string_view>

#if __has_include(<corolla/fiber/fiber.hpp>)
#include <corolla/fiber/fiber.hpp>
#if defined(COROLLA_FIBER_ASM_JUMP) || defined(COROLLA_FIBER_INLINE_YIELD) || defined(COROLLA_FIBER_BOOST_JUMP)
#error "the fiber switch machinery leaked into a public header"
#endif
#endif
#if __has_include(<corolla/fiber/detail/context_switch.hpp>)
#error "the fiber library's private switch header was installed"
#endif

#include <corolla/config.hpp>

static_assert(std::string_view{COROLLA_BUILT_BACKENDS} == COROLLA_TEST_EXPECT_BACKENDS);
static_assert(std::string_view{COROLLA_DEFAULT_BACKEND} == COROLLA_TEST_EXPECT_DEFAULT);

#if defined(COROLLA_ASAN) != COROLLA_TEST_EXPECT_ASAN || defined(COROLLA_TSAN) != COROLLA_TEST_EXPECT_TSAN
#error "config.hpp does not record the sanitizer the library was built with"
#endif

int main() { return 0; }
