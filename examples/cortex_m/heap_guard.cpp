// The heap guard. newlib's malloc gets its memory from _sbrk; the linker takes this definition
// and never pulls libnosys's (which would hand out the RAM after `end`). The firmware must not
// allocate, so any allocation, the C library's own included, ends the run with exit status 98.
#include <cstddef>

#include "semihost.hpp"

extern "C" void* _sbrk(std::ptrdiff_t) {
  semihost::write("heap use detected (_sbrk)\n");
  semihost::exit(98);
}
