# Installs the build tree BUILD_DIR into a fresh prefix, then configures, builds and runs the
# consumer project against it (find_package), and again with add_subdirectory on SOURCE_DIR.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(work "${BUILD_DIR}/consumer-check")
file(REMOVE_RECURSE "${work}")

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${work}/prefix")
if(NOT EXISTS "${work}/prefix/lib/cmake/joule/jouleConfigVersion.cmake")
  message(FATAL_ERROR "the install has no package version file")
endif()

build_consumer("${work}/package" "from the installed package in ${work}/prefix/lib/cmake/joule"
               -DCMAKE_PREFIX_PATH=${work}/prefix -DJOULE_CONSUMER_MODE=package)
build_consumer("${work}/subdirectory" "joule from source (subdirectory)"
               -DJOULE_CONSUMER_MODE=subdirectory -DJOULE_SOURCE_DIR=${SOURCE_DIR})
