# Decides which backends this build compiles. 'auto' means every backend this host can
# build; an explicit list fails here, at configure time, naming what is missing.

# Each backend says itself whether it can be built: backends/<name>/probe.cmake sets
# backend_ok (TRUE when it can) and backend_why (why not), looking up whatever library it
# needs once, for the backend's own CMakeLists.txt to link.

# Every backend corolla knows, in the order 'auto' lists them (the first built is the one
# the install tests use).
set(_corolla_all_backends epoll poll select io_uring kqueue)

# An imported target a probe creates (PkgConfig::...) belongs to this, the top, directory,
# so the backends' directories see it.
function(_corolla_backend_buildable name out_ok out_why)
  set(backend_ok FALSE)
  set(backend_why "")
  if(NOT "${name}" IN_LIST _corolla_all_backends)
    set(backend_why "unknown backend '${name}' (known: ${_corolla_all_backends})")
  elseif(NOT EXISTS "${PROJECT_SOURCE_DIR}/backends/${name}/probe.cmake")
    set(backend_why "the ${name} backend is not part of this version of corolla yet")
  else()
    include("${PROJECT_SOURCE_DIR}/backends/${name}/probe.cmake")
  endif()
  set(${out_ok} ${backend_ok} PARENT_SCOPE)
  set(${out_why} "${backend_why}" PARENT_SCOPE)
endfunction()

set(COROLLA_BACKENDS_BUILT "")
if(COROLLA_BACKENDS STREQUAL "auto")
  foreach(b IN LISTS _corolla_all_backends)
    _corolla_backend_buildable(${b} ok why)
    if(ok)
      list(APPEND COROLLA_BACKENDS_BUILT ${b})
    else()
      message(STATUS "corolla: not building backend ${b}: ${why}")
    endif()
  endforeach()
else()
  foreach(b IN LISTS COROLLA_BACKENDS)
    _corolla_backend_buildable(${b} ok why)
    if(NOT ok)
      message(FATAL_ERROR "corolla: backend '${b}' was requested but cannot be built here: ${why}")
    endif()
    list(APPEND COROLLA_BACKENDS_BUILT ${b})
  endforeach()
endif()
if(NOT COROLLA_BACKENDS_BUILT)
  message(FATAL_ERROR "corolla: no backend can be built on this host")
endif()

if(NOT COROLLA_DEFAULT_BACKEND STREQUAL "auto" AND NOT COROLLA_DEFAULT_BACKEND IN_LIST COROLLA_BACKENDS_BUILT)
  message(FATAL_ERROR "corolla: COROLLA_DEFAULT_BACKEND='${COROLLA_DEFAULT_BACKEND}' is not among the compiled backends (${COROLLA_BACKENDS_BUILT})")
endif()
