# Bare-metal Cortex-M4F (single-precision FPU), run on QEMU's mps2-an386 board.
#   cmake -S examples/cortex_m -B build/cortex-m4 --toolchain $PWD/cmake/arm-none-eabi-cortex-m4.cmake ...
# The path must be absolute: CMake looks a relative one up from the build directory and then from
# examples/cortex_m, not from where the command runs. See docs/targets-cortex-m.md.
set(JOULE_CORTEX_M_CPU_FLAGS "-mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(JOULE_CORTEX_M_BOARD mps2-an386)
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-cortex-m.cmake)
