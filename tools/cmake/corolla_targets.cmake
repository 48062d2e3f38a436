# Helpers so each module's CMakeLists.txt is a few lines:
#   corolla_add_library(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...]
#                       [PC_REQUIRES ...] [PC_LIBS ...])                  -> corolla::<name>
#   corolla_add_backend(<name> SOURCES ... [DEPS ...] [PC_REQUIRES ...])  -> corolla::<name>
#   corolla_add_test(<area> <unit> [PER_BACKEND] [LIBS ...] [LABELS ...])
# A component's public headers are its HEADERS file set: every header under include/
# (plus, for core, the generated corolla/config.hpp). The set is what gets installed, and
# with COROLLA_VERIFY_HEADERS each header is compiled on its own
# (`all_verify_interface_header_sets`), so none depends on being included after another.
# PC_REQUIRES / PC_LIBS are what the component's pkg-config file adds for what it links
# outside corolla (pkg-config modules; linker flags).

include(GNUInstallDirs)

function(corolla_install_component name target)
  if(NOT COROLLA_INSTALL)
    return()
  endif()
  install(TARGETS ${target} EXPORT corolla-${name}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})  # for consumers' CMake before 3.23 (no file sets)
  install(EXPORT corolla-${name}-targets NAMESPACE corolla:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corolla)
endfunction()

# The pkg-config linker flags for what a component's target links outside corolla, found
# in the component's directory (where imported targets such as Boost::context are seen).
function(_corolla_pc_outside_libs target out)
  set(libs "")
  get_target_property(linked ${target} LINK_LIBRARIES)
  foreach(item IN LISTS linked)
    if(item MATCHES "^corolla::|^\\$<|^PkgConfig::|^corolla_build_flags$" OR NOT item)
      continue()  # corolla's own (Requires), build-only, or named in PC_REQUIRES
    elseif(item STREQUAL "Threads::Threads")
      list(APPEND libs ${CMAKE_THREAD_LIBS_INIT})
    elseif(TARGET ${item})
      get_target_property(type ${item} TYPE)
      if(type STREQUAL "INTERFACE_LIBRARY")
        continue()
      endif()
      get_target_property(location ${item} LOCATION)
      get_filename_component(dir "${location}" DIRECTORY)
      get_filename_component(file "${location}" NAME)
      if(file MATCHES "^lib([^.]+)\\.")
        list(APPEND libs "-L${dir}" "-l${CMAKE_MATCH_1}")
      else()
        list(APPEND libs "${location}")
      endif()
    elseif(item MATCHES "^-")
      list(APPEND libs "${item}")
    else()
      list(APPEND libs "-l${item}")
    endif()
  endforeach()
  set(${out} "${libs}" PARENT_SCOPE)
endfunction()

function(corolla_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS;PC_REQUIRES;PC_LIBS" ${ARGN})
  set(target corolla_${name})
  add_library(${target} ${ARG_SOURCES})
  add_library(corolla::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME corolla_${name}
    VERIFY_INTERFACE_HEADER_SETS ${COROLLA_VERIFY_HEADERS})
  # The file set puts include/ on the include path, in the build and (as the install
  # destination) in the installed package.
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/include/*.hpp")
  target_sources(${target} PUBLIC FILE_SET HEADERS BASE_DIRS "${CMAKE_CURRENT_SOURCE_DIR}/include" FILES ${headers})
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} $<BUILD_INTERFACE:corolla_build_flags>)
  set_property(GLOBAL APPEND PROPERTY COROLLA_COMPONENTS ${name})
  # The components this one links, for the package config: find_package(corolla COMPONENTS
  # net) must load core too, and whatever a component comes to link later.
  set(component_deps "")
  foreach(dep IN LISTS ARG_DEPS)
    if(dep MATCHES "^corolla::(.+)$")
      list(APPEND component_deps ${CMAKE_MATCH_1})
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY COROLLA_COMPONENT_DEPS_${name} "${component_deps}")
  set_property(GLOBAL PROPERTY COROLLA_COMPONENT_PC_REQUIRES_${name} "${ARG_PC_REQUIRES}")
  _corolla_pc_outside_libs(${target} outside_libs)
  set_property(GLOBAL PROPERTY COROLLA_COMPONENT_PC_LIBS_${name}
    "${ARG_PC_LIBS};-L\${libdir};-lcorolla_${name};${outside_libs}")
  corolla_install_component(${name} ${target})
endfunction()

# A backend registers itself from a static initialiser in its selector source, next to
# an anchor function `corolla_backend_anchor_<name>`. Every program linking the backend
# is told to need that symbol, so a static archive can never drop the registration.
function(corolla_add_backend name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PC_REQUIRES" ${ARGN})
  if(APPLE)
    set(anchor "-u,_corolla_backend_anchor_${name}")
  else()
    set(anchor "--undefined=corolla_backend_anchor_${name}")
  endif()
  corolla_add_library(${name} SOURCES ${ARG_SOURCES} DEPS corolla::core ${ARG_DEPS}
    PC_REQUIRES ${ARG_PC_REQUIRES} PC_LIBS "-Wl,${anchor}")
  target_link_options(corolla_${name} INTERFACE "LINKER:${anchor}")
endfunction()

# Tests. PER_BACKEND executables use tests/support/backend_matrix.hpp: each test body is
# registered once and instantiated in one Boost.Test suite per compiled backend; CTest
# runs each suite as its own test labelled backend:<name>.
function(corolla_add_test area unit)
  cmake_parse_arguments(ARG "PER_BACKEND" "TIMEOUT" "LIBS;LABELS;SOURCES;STYLES" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # STYLES: the source is written with tests/support/style.hpp and is built once per
  # execution style (coro, fiber), with COROLLA_TEST_STYLE_<STYLE> defined.
  set(styles ${ARG_STYLES})
  if(NOT styles)
    set(styles "-")
  endif()
  foreach(style IN LISTS styles)
    if(style STREQUAL "fiber" AND NOT TARGET corolla::fiber)
      continue()  # built without Boost.Context
    endif()
    if(style STREQUAL "-")
      set(exe ${area}_${unit}_test)
      set(prefix ${area}.${unit})
      set(labels "${area};${ARG_LABELS}")
    else()
      set(exe ${area}_${unit}_${style}_test)
      set(prefix ${area}.${unit}.${style})
      set(labels "${area};style:${style};${ARG_LABELS}")
      if(style STREQUAL "fiber")
        list(APPEND labels fibers)  # the tsan preset runs every fiber test (stack switches)
      endif()
    endif()
    add_executable(${exe} ${CMAKE_CURRENT_SOURCE_DIR}/${area}/${unit}_test.cpp ${ARG_SOURCES})
    target_link_libraries(${exe} PRIVATE corolla_test_support ${ARG_LIBS} corolla_build_flags)
    if(NOT style STREQUAL "-")
      string(TOUPPER ${style} style_upper)
      target_compile_definitions(${exe} PRIVATE COROLLA_TEST_STYLE_${style_upper}=1)
    endif()
    if(ARG_PER_BACKEND)
      foreach(b IN LISTS COROLLA_BACKENDS_BUILT)
        add_test(NAME ${prefix}.${b} COMMAND ${exe} --run_test=${b} --report_level=short)
        set_tests_properties(${prefix}.${b} PROPERTIES LABELS "${labels};backend:${b}" TIMEOUT ${ARG_TIMEOUT}
                             SKIP_RETURN_CODE 77)
      endforeach()
    else()
      add_test(NAME ${prefix} COMMAND ${exe} --report_level=short)
      set_tests_properties(${prefix} PROPERTIES LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT})
    endif()
  endforeach()
endfunction()
