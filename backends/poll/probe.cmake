# Whether the poll backend can be built here (included by tools/cmake/corolla_backends.cmake;
# sets backend_ok, and backend_why when it cannot).
include(CheckIncludeFileCXX)
check_include_file_cxx(poll.h COROLLA_HAVE_POLL_H)
if(COROLLA_HAVE_POLL_H)
  set(backend_ok TRUE)
else()
  set(backend_why "<poll.h> not found")
endif()
