# The API reference: Doxygen over the public headers' `///` comments.
#   cmake --build <dir> --target docs      writes <dir>/docs/html/index.html
# and, when testing is on, the CTest test `docs.doxygen` (label "docs") runs the same
# configuration with WARN_AS_ERROR=FAIL_ON_WARNINGS, so a broken reference, an unknown
# command or a parameter that does not exist fails the test suite. Both exist only when
# Doxygen is found (tools/setup installs it).

if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "corolla: Doxygen not found; no `docs` target and no docs test")
  return()
endif()

set(_corolla_docs_dirs)
foreach(_dir IN ITEMS modules adapters backends)
  file(GLOB _includes LIST_DIRECTORIES true "${PROJECT_SOURCE_DIR}/${_dir}/*/include")
  list(APPEND _corolla_docs_dirs ${_includes})
endforeach()
list(SORT _corolla_docs_dirs)
list(JOIN _corolla_docs_dirs " " COROLLA_DOCS_INPUT)
set(COROLLA_DOCS_INCLUDE_DIRS "${COROLLA_DOCS_INPUT}")

# One Doxyfile for the target (warnings reported) and one for the test (warnings fail it).
set(COROLLA_DOCS_OUTPUT_DIR "${PROJECT_BINARY_DIR}/docs")
set(COROLLA_DOCS_WARN_AS_ERROR NO)
configure_file("${PROJECT_SOURCE_DIR}/tools/doxygen/Doxyfile.in" "${PROJECT_BINARY_DIR}/docs/Doxyfile" @ONLY)
set(COROLLA_DOCS_OUTPUT_DIR "${PROJECT_BINARY_DIR}/docs-check")
set(COROLLA_DOCS_WARN_AS_ERROR FAIL_ON_WARNINGS)
configure_file("${PROJECT_SOURCE_DIR}/tools/doxygen/Doxyfile.in" "${PROJECT_BINARY_DIR}/docs-check/Doxyfile" @ONLY)

add_custom_target(docs
  COMMAND Doxygen::doxygen "${PROJECT_BINARY_DIR}/docs/Doxyfile"
  WORKING_DIRECTORY "${PROJECT_BINARY_DIR}/docs"
  COMMENT "corolla: API reference in ${PROJECT_BINARY_DIR}/docs/html/index.html"
  VERBATIM)

if(COROLLA_BUILD_TESTS OR COROLLA_BUILD_EXAMPLES)
  # The warnings go to docs-check/warnings.log; show them in the test's output on failure.
  add_test(NAME docs.doxygen
    COMMAND sh -c "'${DOXYGEN_EXECUTABLE}' Doxyfile; rc=$?; cat warnings.log; exit $rc"
    WORKING_DIRECTORY "${PROJECT_BINARY_DIR}/docs-check")
  set_tests_properties(docs.doxygen PROPERTIES LABELS "docs" TIMEOUT 300)
endif()
