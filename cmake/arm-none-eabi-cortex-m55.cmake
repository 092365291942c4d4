# Bare-metal Cortex-M55 (Armv8.1-M; FPU and MVE implied by -mcpu), run on QEMU's mps3-an547 board.
set(JOULE_CORTEX_M_CPU_FLAGS "-mcpu=cortex-m55 -mfloat-abi=hard")
set(JOULE_CORTEX_M_BOARD mps3-an547)
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-cortex-m.cmake)
