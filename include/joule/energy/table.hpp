// EnergyTable: what one operation and one byte moved cost, in picojoules, and the cache sizes
// that decide where a byte comes from. The estimate (energy/estimate.hpp) reads only this table,
// so a user with figures for their own chip writes their own:
//
//   constexpr joule::energy::EnergyTable my_chip{.fp32_mac_pj = 1.2, ..., .llc_bytes = 2 << 20};
//   static_assert(Net::energy(my_chip).total_uj() < 50.0);
//
// The default, horowitz_45nm, is M. Horowitz, "Computing's energy problem (and what we can do
// about it)", ISSCC 2014, Figure 1.1.9 (45 nm, 0.9 V): 8-bit add 0.03 pJ, 32-bit add 0.1 pJ,
// 8-bit multiply 0.2 pJ, 32-bit float add 0.9 pJ, 32-bit float multiply 3.7 pJ; a 64-bit read
// from an 8 KB SRAM 10 pJ, from a 32 KB SRAM 20 pJ, from a 1 MB SRAM 100 pJ, from DRAM 1.3 to
// 2.6 nJ. docs/energy.md says how each entry follows from those figures.
#pragma once

#include <cstddef>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::energy {

struct EnergyTable {
  /// One multiply-accumulate: a float32 multiply and add; an 8-bit multiply and a 32-bit add
  /// (int8 kernels accumulate in int32).
  double fp32_mac_pj = 0.0;
  double int8_mac_pj = 0.0;
  /// One element-wise operation (Cost::elementwise): an add-class operation (add, compare,
  /// clamp, conversion, table read) and a multiply, at float32's figures (joule's int8
  /// requantization is float arithmetic).
  double fp32_add_pj = 0.0;
  double fp32_mul_pj = 0.0;
  /// One byte read or written at each level: L1 (and registers), L2, the last-level cache, DRAM.
  double l1_byte_pj = 0.0;
  double l2_byte_pj = 0.0;
  double llc_byte_pj = 0.0;
  double dram_byte_pj = 0.0;
  /// Capacities: a tensor lives in the smallest level that holds it whole.
  std::size_t l1_bytes = 0;
  std::size_t l2_bytes = 0;
  std::size_t llc_bytes = 0;
};

/// Horowitz's 45 nm figures, on a core with a 32 KiB L1, 512 KiB L2 and 32 MiB last-level cache
/// (the data caches of the AMD Zen 3 and Zen 4 cores this library is measured on).
inline constexpr EnergyTable horowitz_45nm{
    .fp32_mac_pj = 4.6,      // float multiply 3.7 + float add 0.9
    .int8_mac_pj = 0.3,      // 8-bit multiply 0.2 + 32-bit add 0.1
    .fp32_add_pj = 0.9,      // float add
    .fp32_mul_pj = 3.7,      // float multiply
    .l1_byte_pj = 2.5,       // 32 KB SRAM, 20 pJ per 64-bit access
    .l2_byte_pj = 12.5,      // 1 MB SRAM, 100 pJ per 64-bit access
    .llc_byte_pj = 12.5,     // no larger SRAM in the source: the 1 MB figure, a lower bound
    .dram_byte_pj = 243.75,  // DRAM: 1.95 nJ per 64 bits, the middle of 1.3 to 2.6 nJ
    .l1_bytes = 32 * 1024,
    .l2_bytes = 512 * 1024,
    .llc_bytes = 32 * 1024 * 1024,
};

}  // namespace joule::inline JOULE_TARGET::energy
