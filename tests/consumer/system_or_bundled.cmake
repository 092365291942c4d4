# "The system's copy or the bundled one": with joule installed (CMAKE_PREFIX_PATH names it) the
# consumer must take the installed package; with none to be found (find_package disabled, as on a
# machine without it) it must fall back to the bundled source tree, and build either way.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(work "${BUILD_DIR}/consumer-system-or-bundled")
file(REMOVE_RECURSE "${work}")

install_joule("${work}/prefix" "${work}")
build_consumer("${work}/system" "from the installed package in ${work}/prefix/lib/cmake/joule"
               -DJOULE_CONSUMER_MODE=system_or_bundled -DCMAKE_PREFIX_PATH=${work}/prefix
               -DJOULE_SOURCE_DIR=${SOURCE_DIR})
build_consumer("${work}/bundled" "joule from source (system_or_bundled)"
               -DJOULE_CONSUMER_MODE=system_or_bundled -DCMAKE_DISABLE_FIND_PACKAGE_joule=ON
               -DJOULE_SOURCE_DIR=${SOURCE_DIR})
