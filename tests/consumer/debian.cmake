# The Debian package: builds libjoule-dev from a `git archive` of HEAD with
# `dpkg-buildpackage -us -uc -b`, checks what the .deb says and holds, unpacks it into a folder
# with `dpkg -x` (installing it system-wide from a test would be rude) and builds the consumer
# against that folder, with find_package and with pkg-config.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(work "${BUILD_DIR}/consumer-debian")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

git_archive("${work}/joule-${VERSION}.tar.gz" "joule-${VERSION}")
run(${CMAKE_COMMAND} -E chdir "${work}" ${CMAKE_COMMAND} -E tar xzf "joule-${VERSION}.tar.gz")
# The .deb is written next to the source tree, in ${work}.
run(${CMAKE_COMMAND} -E chdir "${work}/joule-${VERSION}" dpkg-buildpackage -us -uc -b)
set(deb "${work}/libjoule-dev_${VERSION}_all.deb")
if(NOT EXISTS "${deb}")
  message(FATAL_ERROR "dpkg-buildpackage made no ${deb}")
endif()

foreach(field_value "Package=libjoule-dev" "Architecture=all" "Version=${VERSION}" "Multi-Arch=foreign")
  string(REPLACE "=" ";" pair "${field_value}")
  list(GET pair 0 field)
  list(GET pair 1 expected)
  run(dpkg-deb --field "${deb}" ${field})
  string(STRIP "${run_output}" value)
  if(NOT value STREQUAL expected)
    message(FATAL_ERROR "${deb}: ${field} is '${value}', expected '${expected}'")
  endif()
endforeach()
run(dpkg-deb --contents "${deb}")
foreach(file ./usr/include/joule/joule.hpp ./usr/include/joule/io/safetensors.hpp
             ./usr/share/cmake/joule/jouleConfig.cmake ./usr/share/cmake/joule/jouleConfigVersion.cmake
             ./usr/share/pkgconfig/joule.pc ./usr/share/doc/libjoule-dev/copyright)
  string(FIND "${run_output}" " ${file}\n" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "${deb} lacks ${file}:\n${run_output}")
  endif()
endforeach()
message(STATUS "${deb}: libjoule-dev ${VERSION}, Architecture all, headers, CMake package, joule.pc")

run(dpkg -x "${deb}" "${work}/root")
build_consumer("${work}/cmake" "from the installed package in ${work}/root/usr/share/cmake/joule"
               -DJOULE_CONSUMER_MODE=package -DCMAKE_PREFIX_PATH=${work}/root/usr)
# joule.pc says prefix=/usr, as installed; the unpacked copy is under ${work}/root/usr.
pkgconfig_consumer("${work}/root/usr/share/pkgconfig" "${work}/root/usr/include" "${work}/pkgconfig"
                   "--define-variable=prefix=${work}/root/usr")
