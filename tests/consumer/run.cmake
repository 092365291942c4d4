# Installs the build tree BUILD_DIR into a fresh prefix, then configures, builds and runs the
# consumer project against it (find_package), and again with add_subdirectory on SOURCE_DIR.
set(work "${BUILD_DIR}/consumer-check")
file(REMOVE_RECURSE "${work}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "failed: ${shown}\n${out}\n${err}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${work}/prefix")
if(NOT EXISTS "${work}/prefix/lib/cmake/joule/jouleConfigVersion.cmake")
  message(FATAL_ERROR "the install has no package version file")
endif()

foreach(mode package subdirectory)
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${work}/${mode}"
      -DCMAKE_CXX_COMPILER=${COMPILER} -DCMAKE_PREFIX_PATH=${work}/prefix
      -DJOULE_CONSUMER_MODE=${mode} -DJOULE_SOURCE_DIR=${SOURCE_DIR})
  run(${CMAKE_COMMAND} --build "${work}/${mode}")
  run("${work}/${mode}/consumer")
  message(STATUS "consumer via ${mode}: built and ran")
endforeach()
