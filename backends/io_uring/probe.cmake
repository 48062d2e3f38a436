# Whether the io_uring backend can be built here (included by tools/cmake/corolla_backends.cmake;
# sets backend_ok, and backend_why when it cannot). liburing is looked up here, once: the
# imported target PkgConfig::COROLLA_LIBURING it leaves is what the backend links.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(COROLLA_LIBURING QUIET IMPORTED_TARGET liburing)
endif()
if(TARGET PkgConfig::COROLLA_LIBURING)
  set(backend_ok TRUE)
else()
  set(backend_why "io_uring needs liburing (pkg-config liburing; Debian: liburing-dev)")
endif()
