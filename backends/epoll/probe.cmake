# Whether the epoll backend can be built here (included by tools/cmake/corolla_backends.cmake;
# sets backend_ok, and backend_why when it cannot).
include(CheckIncludeFileCXX)
check_include_file_cxx(sys/epoll.h COROLLA_HAVE_SYS_EPOLL_H)
if(COROLLA_HAVE_SYS_EPOLL_H)
  set(backend_ok TRUE)
else()
  set(backend_why "epoll needs Linux (<sys/epoll.h> not found)")
endif()
