// Generator bodies written once for both generator types: the stackless generator (a C++20
// coroutine) and the stackful fiber_generator (a plain function on its own fiber). A test
// source built with STYLES in corolla_add_test spells its generators with these macros;
// CMake compiles it once per style (COROLLA_TEST_STYLE_CORO, COROLLA_TEST_STYLE_FIBER):
//
//   GENERATOR(int, void, std::string) f(int n, log_t* log) {     the generator type
//       GEN_BODY {                                                 the body starts
//           std::optional<int> sent = YIELD(n);                    yield a value
//           int r = YIELD_FROM(sub(log));                          Python's `yield from`
//           GEN_RETURN "done";                                     return (StopIteration.value)
//       }
//       GEN_END;                                                   the body ends
//   }
//
// In the stackful style the body is a lambda that captures by value ([=]), so a generator
// function or lambda takes whatever it shares with the test by pointer, never by reference,
// and captures nothing itself: its parameters are then valid for as long as the body runs
// in both styles. A body returning a value returns one type on every path.
#pragma once

#include <utility>

#if defined(COROLLA_TEST_STYLE_FIBER)

#include <corolla/fiber/generator.hpp>

#define GENERATOR(...) ::corolla::fiber_generator<__VA_ARGS__>
#define GEN_BODY return ::corolla::test::detail::fiber_body([=](auto& gen_yielder) mutable
#define GEN_END )
#define YIELD(...) (gen_yielder.yield(__VA_ARGS__))
#define YIELD_FROM(...) (gen_yielder.yield_from(__VA_ARGS__))
#define GEN_RETURN return

namespace corolla::test {

inline constexpr const char* generator_style_name = "fiber";

namespace detail {
/// A generator body on its way to the fiber_generator the enclosing function returns:
/// converts to whichever fiber_generator<Y, S, R> that is, so GEN_BODY need not repeat it.
template <class Body>
struct fiber_body_of {
    Body body;
    template <class Y, class S, class R>
    operator ::corolla::fiber_generator<Y, S, R>() && {  // NOLINT(google-explicit-constructor)
        return ::corolla::fiber_generator<Y, S, R>(std::move(body));
    }
};
template <class Body>
fiber_body_of<Body> fiber_body(Body body) {
    return {std::move(body)};
}
}  // namespace detail

}  // namespace corolla::test

#elif defined(COROLLA_TEST_STYLE_CORO)

#include <corolla/coro/generator.hpp>

#define GENERATOR(...) ::corolla::generator<__VA_ARGS__>
#define GEN_BODY
#define GEN_END
#define YIELD(...) (co_yield (__VA_ARGS__))
#define YIELD_FROM(...) (co_yield ::corolla::yield_from(__VA_ARGS__))
#define GEN_RETURN co_return

/// The asynchronous generator exists in the coroutine style only.
#define ASYNC_GEN(...) ::corolla::async_generator<__VA_ARGS__>

namespace corolla::test {
inline constexpr const char* generator_style_name = "coro";
}  // namespace corolla::test

#else
#error "tests/support/generator_style.hpp: build this test with STYLES in corolla_add_test"
#endif
