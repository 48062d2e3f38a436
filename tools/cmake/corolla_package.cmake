# The installed CMake package: find_package(corolla CONFIG REQUIRED COMPONENTS core epoll)
# loads only the requested components and the components they link, in turn (core, which
# every component needs).
if(NOT COROLLA_INSTALL)
  return()
endif()
include(CMakePackageConfigHelpers)
get_property(COROLLA_PACKAGE_COMPONENTS GLOBAL PROPERTY COROLLA_COMPONENTS)
set(COROLLA_PACKAGE_DEPS "")
foreach(_c IN LISTS COROLLA_PACKAGE_COMPONENTS)
  get_property(_deps GLOBAL PROPERTY COROLLA_COMPONENT_DEPS_${_c})
  string(APPEND COROLLA_PACKAGE_DEPS "set(_corolla_deps_${_c} \"${_deps}\")\n")
endforeach()
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/corolla-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/corolla-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corolla)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/corolla-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/corolla-config.cmake ${CMAKE_CURRENT_BINARY_DIR}/corolla-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corolla)

# pkg-config: corolla-<component>.pc for each component, and corolla.pc for everything
#   g++ -std=c++20 app.cpp $(pkg-config --cflags --libs corolla)
#   g++ -std=c++20 app.cpp $(pkg-config --cflags --libs corolla-net corolla-epoll)
# A component's file requires the files of the components it links (so core's include
# path and libraries come with any of them), the pkg-config modules it names
# (PC_REQUIRES: liburing, libkqueue) and lists its library and the libraries outside
# corolla that its target links (Boost.Context for fiber: the libraries are static by
# default), as corolla_add_library found them.
# The prefix is found from the file's own place, so an installed tree can be moved.
set(COROLLA_PC_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(COROLLA_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _rel "/root/${COROLLA_PC_DIR}" "/root")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(COROLLA_PC_PREFIX "\${pcfiledir}/${_rel}")
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(COROLLA_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(COROLLA_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()

function(_corolla_write_pc file name description requires cflags libs)
  set(COROLLA_PC_NAME "${name}")
  set(COROLLA_PC_DESCRIPTION "${description}")
  list(FILTER requires EXCLUDE REGEX "^$")
  list(FILTER libs EXCLUDE REGEX "^$")
  list(JOIN requires ", " COROLLA_PC_REQUIRES)
  list(JOIN cflags " " COROLLA_PC_CFLAGS)
  list(JOIN libs " " COROLLA_PC_LIBS)
  configure_file("${PROJECT_SOURCE_DIR}/tools/cmake/corolla.pc.in" "${PROJECT_BINARY_DIR}/pkgconfig/${file}.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/pkgconfig/${file}.pc" DESTINATION "${COROLLA_PC_DIR}")
endfunction()

set(_corolla_pc_all "")
foreach(_c IN LISTS COROLLA_PACKAGE_COMPONENTS)
  get_property(_deps GLOBAL PROPERTY COROLLA_COMPONENT_DEPS_${_c})
  get_property(_requires GLOBAL PROPERTY COROLLA_COMPONENT_PC_REQUIRES_${_c})
  get_property(_libs GLOBAL PROPERTY COROLLA_COMPONENT_PC_LIBS_${_c})
  list(TRANSFORM _deps PREPEND "corolla-")
  set(_cflags "")
  if(_c STREQUAL "core")
    set(_cflags "-I\${includedir}")
  endif()
  _corolla_write_pc(corolla-${_c} "corolla-${_c}" "corolla component ${_c}" "${_deps};${_requires}" "${_cflags}"
    "${_libs}")
  list(APPEND _corolla_pc_all corolla-${_c})
endforeach()
_corolla_write_pc(corolla corolla "${PROJECT_DESCRIPTION} (every component built)" "${_corolla_pc_all}" "" "")
