# A consumer without CMake: compiles, links and runs one program with nothing but the
# flags `pkg-config --cflags --libs <modules>` prints for an installed corolla.
#   cmake -DPKG_CONFIG=<exe> -DPC_PATH=<prefix>/lib/pkgconfig -DMODULES=<m1,m2>
#         -DCXX=<compiler> -DCXX_FLAGS=<flags> -DSOURCE=<file.cpp> -DOUT=<exe> -DARGS=<a,b>
#         -P pkg_config.cmake
# A program that exits 77 (its backend cannot run on this host) prints "skipped: ...".
string(REPLACE "," ";" MODULES "${MODULES}")
string(REPLACE "," ";" ARGS "${ARGS}")
set(ENV{PKG_CONFIG_PATH} "${PC_PATH}")
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ${MODULES}
  OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs ${MODULES} failed (${rc})")
endif()
message(STATUS "pkg-config --cflags --libs ${MODULES}: ${pc_flags}")
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
set(compile ${CXX} -std=c++20 ${cxx_flags} ${SOURCE} -o ${OUT} ${pc_flags})
list(JOIN compile " " shown)
message(STATUS "${shown}")
execute_process(COMMAND ${compile} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "compiling with the pkg-config flags failed (${rc})")
endif()
execute_process(COMMAND ${OUT} ${ARGS} RESULT_VARIABLE rc)
if(rc EQUAL 77)
  message(STATUS "skipped: the program's backend cannot run on this host")
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "the program built from the pkg-config flags failed (${rc})")
endif()
