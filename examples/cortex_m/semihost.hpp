// Arm semihosting, called directly: the firmware prints and exits through the debugger (here
// QEMU with -semihosting-config enable=on,target=native) without a C library. newlib-nano's stdio
// would allocate its FILE buffers through malloc, and this firmware must not touch the heap.
//
// The interface (Arm "Semihosting for AArch32 and AArch64", version 2): on M-profile cores the
// call is BKPT 0xAB, the operation number in r0, its argument in r1, the result back in r0.
#pragma once

#include <cstdint>

namespace semihost {

enum Operation : std::uint32_t {
  sys_write0 = 0x04,         // r1: a NUL-terminated string, written to the host's console
  sys_exit = 0x18,           // r1: a reason code; on AArch32 it cannot carry an exit status
  sys_exit_extended = 0x20,  // r1: {reason, status}; QEMU exits with that status
};

/// ADP_Stopped_ApplicationExit: the program ended by itself.
inline constexpr std::uint32_t application_exit = 0x20026;

inline std::uint32_t call(std::uint32_t operation, const void* argument) {
  register std::uint32_t r0 asm("r0") = operation;
  register const void* r1 asm("r1") = argument;
  // "memory": the host reads the argument block and the string through r1.
  asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

inline void write(const char* text) { call(sys_write0, text); }

/// Ends the program; QEMU's exit status is `status`.
[[noreturn]] inline void exit(int status) {
  const std::uint32_t block[2] = {application_exit, static_cast<std::uint32_t>(status)};
  call(sys_exit_extended, block);
  // A host without the extended call: the plain one, which can only say "ended".
  call(sys_exit, reinterpret_cast<const void*>(application_exit));
  for (;;) {
  }
}

/// Decimal text of `value` into `buffer` (at least 21 bytes); returns the start of the text.
inline char* format(long long value, char (&buffer)[21]) {
  char* p = buffer + sizeof buffer;
  *--p = '\0';
  // Work with the magnitude as unsigned, so that the most negative value does not overflow.
  unsigned long long magnitude = value < 0 ? 0ull - static_cast<unsigned long long>(value) : static_cast<unsigned long long>(value);
  do {
    *--p = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) *--p = '-';
  return p;
}

inline void write(long long value) {
  char buffer[21];
  write(format(value, buffer));
}

/// `value` as 0x and eight hexadecimal digits (register contents).
inline void write_hex(std::uint32_t value) {
  char buffer[11] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) buffer[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xFu];
  buffer[10] = '\0';
  write(buffer);
}

}  // namespace semihost
