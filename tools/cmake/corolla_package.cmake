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
