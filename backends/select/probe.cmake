# Whether the select backend can be built here (included by tools/cmake/corolla_backends.cmake;
# sets backend_ok, and backend_why when it cannot).
include(CheckIncludeFileCXX)
check_include_file_cxx(sys/select.h COROLLA_HAVE_SYS_SELECT_H)
if(COROLLA_HAVE_SYS_SELECT_H)
  set(backend_ok TRUE)
else()
  set(backend_why "<sys/select.h> not found")
endif()
