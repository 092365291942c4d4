// What the startup code (startup.cpp) offers the program besides running it.
#pragma once

#include <cstddef>

namespace startup {

/// Bytes of the stack reserved by the linker script (sections.ld, STACK_SIZE).
std::size_t stack_bytes_reserved();

/// The most stack used since reset, in bytes. The reset code fills the free stack with a pattern;
/// this is the distance from the top to the lowest word no longer holding it. If the stack ran
/// over its reservation, this returns stack_bytes_reserved() (then .bss below it may be damaged).
std::size_t stack_bytes_used();

}  // namespace startup
