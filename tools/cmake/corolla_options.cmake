# Build options, compiler flags, sanitizers and ccache for corolla.

option(COROLLA_BUILD_TESTS "Build the Boost.Test suites" ${PROJECT_IS_TOP_LEVEL})
option(COROLLA_BUILD_PERF "Build the Google Benchmark suites and peer programs" OFF)
option(COROLLA_BUILD_TOOLS "Build the command-line tools (the echo load client corolla_load)" ON)
option(COROLLA_BUILD_EXAMPLES "Build the example programs" ${PROJECT_IS_TOP_LEVEL})
option(COROLLA_WITH_FIBERS "Build the fiber adapter (needs Boost.Context; skipped with a message when absent)" ON)
option(COROLLA_FIBER_PORTABLE_SWITCH
  "Switch fibers only through Boost.Context's jump_fcontext (every platform's path), never the inlined x86-64 jump" OFF)
option(COROLLA_INSTALL "Generate install rules, the CMake package and the pkg-config files" ON)
option(COROLLA_VERIFY_HEADERS "Compile every public header on its own (target all_verify_interface_header_sets; a packaging test when tests are on)" OFF)
set(COROLLA_SANITIZE "" CACHE STRING "Sanitizers: empty, 'address;undefined' or 'thread'")
set(COROLLA_BACKENDS "auto" CACHE STRING "Backends to compile: 'auto' (all this host can build) or a list such as 'epoll;poll'")
set(COROLLA_DEFAULT_BACKEND "auto" CACHE STRING "Backend a loop uses when none is named: 'auto' or a compiled backend")

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

find_program(COROLLA_CCACHE ccache)
if(COROLLA_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${COROLLA_CCACHE}")
endif()

find_package(Threads REQUIRED)

# Flags for corolla's own targets (never forced on consumers).
add_library(corolla_build_flags INTERFACE)
target_compile_options(corolla_build_flags INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang,AppleClang>:-Wall -Wextra -Wpedantic>
  # g++ 12 warns for every designated initializer that omits a field (fixed in 13).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-missing-field-initializers>)

if(COROLLA_SANITIZE)
  list(JOIN COROLLA_SANITIZE "," _corolla_san)
  add_compile_options(-fsanitize=${_corolla_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_corolla_san})
  # COROLLA_ASAN / COROLLA_TSAN come from the generated <corolla/config.hpp>, so code a
  # consumer compiles from the headers takes the same paths as the library.
endif()
