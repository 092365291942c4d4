# FetchContent from a release tarball: `git archive` of HEAD (what a release of joule is), served
# by a file:// URL so that configuring needs no network, with its SHA-256 checked as a real
# project would check it.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(work "${BUILD_DIR}/consumer-fetchcontent")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

set(tarball "${work}/joule-${VERSION}.tar.gz")
git_archive("${tarball}" "joule-${VERSION}")
file(SHA256 "${tarball}" sha256)
build_consumer("${work}/consumer" "joule from source (fetchcontent)"
               -DJOULE_CONSUMER_MODE=fetchcontent "-DJOULE_TARBALL_URL=file://${tarball}"
               -DJOULE_TARBALL_SHA256=${sha256})
