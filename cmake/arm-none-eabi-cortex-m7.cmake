# Bare-metal Cortex-M7 (double-precision FPU), run on QEMU's mps2-an500 board.
set(JOULE_CORTEX_M_CPU_FLAGS "-mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16")
set(JOULE_CORTEX_M_BOARD mps2-an500)
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-cortex-m.cmake)
