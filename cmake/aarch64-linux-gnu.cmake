# aarch64 Linux (glibc) with Debian's cross compiler (g++-aarch64-linux-gnu); programs run on
# qemu-user. xsimd selects arm64+neon, so the kernels take their NEON paths.
#
#   cmake -S <project> -B <build> --toolchain cmake/aarch64-linux-gnu.cmake
#
# For joule's own programs add -DJOULE_MARCH= (the default, native, is the build machine's CPU).
# Header-only dependencies (xsimd, Catch2) are found in /usr/include, which Debian's cross
# compilers search after the target's own headers; their CMake packages are the host's and are
# not searched for.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# The target's libraries and headers live under /usr/aarch64-linux-gnu; programs are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# add_test() and try_run() start target programs through qemu-user (qemu-user-static names it
# differently); -L is where it finds the target's dynamic loader and C library.
find_program(JOULE_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(NOT JOULE_QEMU_AARCH64)
  set(JOULE_QEMU_AARCH64 qemu-aarch64)  # not installed: tests fail naming it
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${JOULE_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu)
