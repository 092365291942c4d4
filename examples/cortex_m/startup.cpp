// Startup for the Cortex-M example, replacing crt0 (the firmware links with -nostartfiles):
// the vector table, the reset handler that prepares memory and calls main, and fault handlers
// that end the run with exit status 99, so that a crash fails the test instead of hanging it.
#include "startup.hpp"

#include <cstddef>
#include <cstdint>

#include "semihost.hpp"

// Symbols placed by sections.ld.
extern "C" {
extern std::uint32_t __stack_limit[], __stack_top[];
extern std::uint32_t __data_start[], __data_end[], __data_load[];
extern std::uint32_t __bss_start[], __bss_end[];
using InitFunction = void (*)();
extern InitFunction __preinit_array_start[], __preinit_array_end[];
extern InitFunction __init_array_start[], __init_array_end[];
}

// The program's main, under its assembler name: C++ does not let a program call ::main itself.
extern "C" int application_main() asm("main");

namespace {

/// What the free stack is filled with at reset; any other value marks a word the program used.
constexpr std::uint32_t stack_fill = 0x57AC57ACu;

/// Where an unexpected exception ends: report its number (IPSR) and exit with 99.
[[noreturn]] void fault() {
  std::uint32_t exception;
  asm volatile("mrs %0, ipsr" : "=r"(exception));
  semihost::write("fault: exception ");
  semihost::write(static_cast<long long>(exception & 0x1FFu));
  semihost::write(" (2 NMI, 3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault)\n");
  semihost::exit(99);
}

/// Everything after the FPU is on. Kept out of line so that no floating-point instruction the
/// compiler might schedule (register saves, copies) can run before reset_handler enables the FPU.
[[gnu::noinline, noreturn]] void start() {
  // Fill the stack below this frame. Volatile stores: the compiler must not turn this loop into a
  // memset call, whose own frame would lie in the range being filled.
  std::uint32_t* stack_pointer;
  asm volatile("mov %0, sp" : "=r"(stack_pointer));
  for (volatile std::uint32_t* p = __stack_limit; p < stack_pointer;) *p++ = stack_fill;
  // .data: initial values stored in flash after .text, copied to RAM.
  for (std::uint32_t *to = __data_start, *from = __data_load; to < __data_end;) *to++ = *from++;
  // .bss: zero.
  for (std::uint32_t* p = __bss_start; p < __bss_end;) *p++ = 0;
  // Static constructors, in the order the C++ runtime would run them.
  for (InitFunction* f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (InitFunction* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  semihost::exit(application_main());
}

}  // namespace

std::size_t startup::stack_bytes_reserved() {
  return static_cast<std::size_t>(__stack_top - __stack_limit) * sizeof(std::uint32_t);
}

std::size_t startup::stack_bytes_used() {
  const std::uint32_t* p = __stack_limit;
  while (p < __stack_top && *p == stack_fill) ++p;
  return static_cast<std::size_t>(__stack_top - p) * sizeof(std::uint32_t);
}

// exit() and abort() end in _exit; libnosys's version spins forever, which would turn a failed
// run into a test timeout. This one hands the status to the host.
extern "C" [[noreturn]] void _exit(int status) { semihost::exit(status); }

// The handlers keep external C names: the linker script names reset_handler as the entry point
// (so that --gc-sections keeps it), and both are easy to find in a map file or a debugger.
extern "C" void fault_handler() { fault(); }

/// The reset vector. With -mfloat-abi=hard any float instruction faults until the coprocessors
/// CP10 and CP11 (the FPU; on the M55 also MVE) are granted full access in CPACR, bits 20-23.
extern "C" [[noreturn]] void reset_handler() {
  volatile std::uint32_t* const cpacr = reinterpret_cast<volatile std::uint32_t*>(0xE000ED88u);
  *cpacr = *cpacr | (0xFu << 20);
  // The new access rights apply to instructions after these barriers.
  asm volatile("dsb\n\tisb" ::: "memory");
  start();
}

namespace {

using Handler = void (*)();

/// The Armv7-M / Armv8-M vector table: the initial stack pointer, then the 15 system exceptions.
/// No interrupt is enabled, so the table stops there. Every exception but reset is a failure.
struct VectorTable {
  const void* initial_stack_pointer;
  Handler handlers[15];
};

// constinit: the table must be in the image, never built at run time.
[[gnu::used, gnu::section(".vectors")]] constinit const VectorTable vector_table = {
    __stack_top,
    {
        reset_handler,  // 1 reset
        fault_handler,  // 2 NMI
        fault_handler,  // 3 HardFault
        fault_handler,  // 4 MemManage
        fault_handler,  // 5 BusFault
        fault_handler,  // 6 UsageFault
        fault_handler,  // 7 SecureFault (Armv8-M)
        nullptr,        // 8-10 reserved
        nullptr,
        nullptr,
        fault_handler,  // 11 SVCall
        fault_handler,  // 12 DebugMonitor
        nullptr,        // 13 reserved
        fault_handler,  // 14 PendSV
        fault_handler,  // 15 SysTick
    },
};

}  // namespace
