# Shared part of the bare-metal Cortex-M toolchain files (arm-none-eabi-cortex-m4.cmake, -m7,
# -m55), which set JOULE_CORTEX_M_CPU_FLAGS and JOULE_CORTEX_M_BOARD (the QEMU machine) and
# include this file. Compiler: Debian's gcc-arm-none-eabi (GCC 12) with newlib; programs run on
# qemu-system-arm with semihosting, which carries their output and exit status to the host.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
# Compiler checks build a static library: linking an executable needs the program's own linker
# script and startup code, which CMake's test programs do not have.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Thumb code for the CPU; one section per function and object so that --gc-sections drops what
# the program does not use. No exceptions, no RTTI: joule's core needs neither.
set(CMAKE_C_FLAGS_INIT "-mthumb ${JOULE_CORTEX_M_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT} -fno-exceptions -fno-rtti")
# newlib-nano; libnosys for any system call the C library might reference (none is used: the
# programs print and exit through semihosting calls of their own); -nostartfiles: the program's
# startup code is the entry point, not crt0.
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs --specs=nosys.specs -nostartfiles -Wl,--gc-sections")

# Target headers and libraries come from the compiler's own directories; programs are the host's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# add_test() and try_run() start target programs through this: the ELF follows -kernel, and the
# program's semihosting exit status becomes QEMU's.
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-system-arm;-M;${JOULE_CORTEX_M_BOARD};-nographic;-semihosting-config;enable=on,target=native;-kernel)
