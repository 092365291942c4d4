# Included by tests/CMakeLists.txt.
# Every way a project takes joule in, each a cmake -P script that builds and runs the consumer
# project (tests/consumer) that way. The release tarball and the Debian source are `git archive`
# of HEAD: those two tests need a git checkout and test what is committed.
set(consumer_dir ${CMAKE_CURRENT_LIST_DIR})
set(consumer_args -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                  -DCOMPILER=${CMAKE_CXX_COMPILER} -DVERSION=${PROJECT_VERSION})
set(consumer_tests package_and_subdirectory=run pkgconfig=pkgconfig system_or_bundled=system_or_bundled)
if(EXISTS ${PROJECT_SOURCE_DIR}/.git)
  list(APPEND consumer_tests fetchcontent=fetchcontent debian_package=debian)
else()
  message(STATUS "joule: not a git checkout, so no consumer.fetchcontent and consumer.debian_package tests")
endif()
foreach(test IN LISTS consumer_tests)
  string(REPLACE "=" ";" parts ${test})
  list(GET parts 0 name)
  list(GET parts 1 script)
  add_test(NAME consumer.${name} COMMAND ${CMAKE_COMMAND} ${consumer_args} -P ${consumer_dir}/${script}.cmake)
  set_tests_properties(consumer.${name} PROPERTIES LABELS consumer TIMEOUT 600)
endforeach()
