# pkg-config: install joule, then compile the consumer with nothing but the compiler and
# `pkg-config --cflags joule` (the installed joule.pc), and run it.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(work "${BUILD_DIR}/consumer-pkgconfig")
file(REMOVE_RECURSE "${work}")

install_joule("${work}/prefix" "${work}")
pkgconfig_consumer("${work}/prefix/lib/pkgconfig" "${work}/prefix/include" "${work}/consumer")
