// Checks of the firmware's safety nets, built with the same startup code on every board:
//   -DPROBE_HEAP   allocates once; heap_guard.cpp must end the run with status 98,
//   -DPROBE_FAULT  executes an undefined instruction; the fault handler must end it with 99.
// A firmware exit status of 0 only means something if these two do not also end with 0.
#include <cstdlib>

int main() {
#if defined(PROBE_HEAP)
  void* volatile block = std::malloc(16);  // volatile: the call must stay
  return block == nullptr ? 1 : 2;         // not reached when the guard works
#elif defined(PROBE_FAULT)
  __builtin_trap();  // UDF: a UsageFault, escalated to HardFault (no handler enabled for it)
#else
#error "define PROBE_HEAP or PROBE_FAULT"
#endif
}
