# Shared by the consumer tests (cmake -P scripts): running a step, installing joule, building and
# running the consumer project.

# run(COMMAND...): runs a command; a failure stops the test with its output.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "failed: ${shown}\n${out}\n${err}")
  endif()
  set(run_output "${out}${err}" PARENT_SCOPE)
endfunction()

# install_joule(PREFIX WORK): configures SOURCE_DIR with only the library (no tests, tools,
# examples or benchmarks) in WORK/library-build and installs it into PREFIX.
function(install_joule prefix work)
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${work}/library-build" -DCMAKE_CXX_COMPILER=${COMPILER}
      -DJOULE_BUILD_TESTS=OFF -DJOULE_BUILD_TOOLS=OFF -DJOULE_BUILD_EXAMPLES=OFF -DJOULE_BUILD_BENCH=OFF)
  run(${CMAKE_COMMAND} --install "${work}/library-build" --prefix "${prefix}")
endfunction()

# build_consumer(DIR EXPECT ARGS...): configures tests/consumer in DIR with ARGS, requires the
# configure output to contain EXPECT (which copy of joule it used), builds it and runs it.
function(build_consumer dir expect)
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${dir}" -DCMAKE_CXX_COMPILER=${COMPILER} ${ARGN})
  string(FIND "${run_output}" "${expect}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "configuring the consumer (${ARGN}) did not say '${expect}':\n${run_output}")
  endif()
  run(${CMAKE_COMMAND} --build "${dir}")
  run("${dir}/consumer")
  message(STATUS "consumer in ${dir}: built and ran (${expect})")
endfunction()

# git_archive(TARBALL PREFIX): the release tarball of SOURCE_DIR's HEAD, as `git archive` makes it.
function(git_archive tarball prefix)
  find_program(GIT git REQUIRED)
  run(${GIT} -C "${SOURCE_DIR}" archive --format=tar.gz "--prefix=${prefix}/" -o "${tarball}" HEAD)
endfunction()

# pkgconfig_consumer(PC_DIR INCLUDE_DIR WORK PKG_CONFIG_FLAGS...): with PKG_CONFIG_PATH=PC_DIR,
# requires `pkg-config --cflags joule` to name INCLUDE_DIR and --modversion to be VERSION, then
# compiles main.cpp with nothing but the compiler and those flags, and runs it.
function(pkgconfig_consumer pc_dir include_dir work)
  find_program(PKG_CONFIG pkg-config REQUIRED)
  set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
  run(${PKG_CONFIG} ${ARGN} --modversion joule)
  string(STRIP "${run_output}" version)
  if(NOT version STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config --modversion joule says '${version}', expected ${VERSION}")
  endif()
  run(${PKG_CONFIG} ${ARGN} --cflags joule)
  string(STRIP "${run_output}" cflags)
  message(STATUS "pkg-config --cflags joule: ${cflags}")
  if(NOT " ${cflags} " MATCHES " -I${include_dir} ")
    message(FATAL_ERROR "pkg-config --cflags joule gives '${cflags}', without -I${include_dir}")
  endif()
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  file(MAKE_DIRECTORY "${work}")
  run(${COMPILER} -std=c++20 -Wall -Wextra -Wpedantic -Werror ${cflags} "${SOURCE_DIR}/tests/consumer/main.cpp"
      -o "${work}/consumer")
  run("${work}/consumer")
  message(STATUS "consumer compiled with pkg-config --cflags joule from ${pc_dir}: ran")
endfunction()
