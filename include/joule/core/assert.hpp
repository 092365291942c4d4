// JOULE_ASSERT: an internal invariant check that stops the program without exceptions or I/O,
// so it is usable on bare metal. Active unless NDEBUG is defined.
#pragma once

#ifdef NDEBUG
#define JOULE_ASSERT(condition) static_cast<void>(0)
#else
#define JOULE_ASSERT(condition) ((condition) ? static_cast<void>(0) : __builtin_trap())
#endif
