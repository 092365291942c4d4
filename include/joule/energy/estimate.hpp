// The estimated energy of one inference of a layer, from its compile-time Cost and an
// EnergyTable (energy/table.hpp):
//   compute      MACs x the MAC of the layer's dtype (int8 when its input is int8 or uint8,
//                float32 otherwise), and the element-wise operations (Cost::elementwise: bias,
//                activations, sums, pooling, requantization) at the table's add and multiply;
//   weights      the weight bytes its kernel reads x the byte at the level that holds the
//                weights of the whole network (they are all read once per inference, so in
//                repeated inference they stay where they fit together);
//   activations  the bytes it reads x the byte at the level that holds them, and the same for
//                the bytes it writes.
// A level holds a tensor when the tensor fits its capacity whole: L1, L2, last-level cache,
// else DRAM. Not counted (yet): re-reads of inputs and weights inside a kernel's tiles, and
// instruction overheads (loads of operands from registers, address arithmetic, loops); see
// docs/energy.md for what the figure can and cannot see.
//
// Networks add their layers' figures at compile time: Net::energy() (the default table) or
// Net::energy(table), so that `static_assert(Net::energy().total_uj() < 50.0)` is a budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/cost.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"
#include "joule/energy/table.hpp"

namespace joule::inline JOULE_TARGET::energy {

/// Picojoules of one inference, by where they go.
struct Energy {
  double compute_pj = 0.0;
  double weights_pj = 0.0;
  double activations_pj = 0.0;

  constexpr double total_pj() const { return compute_pj + weights_pj + activations_pj; }
  constexpr double total_uj() const { return total_pj() * 1e-6; }
  constexpr Energy& operator+=(const Energy& other) {
    compute_pj += other.compute_pj;
    weights_pj += other.weights_pj;
    activations_pj += other.activations_pj;
    return *this;
  }
  friend constexpr Energy operator+(Energy left, const Energy& right) { return left += right; }
};

enum class MemoryLevel : std::uint8_t { l1, l2, llc, dram };

constexpr std::string_view name_of(MemoryLevel level) {
  switch (level) {
    case MemoryLevel::l1:
      return "L1";
    case MemoryLevel::l2:
      return "L2";
    case MemoryLevel::llc:
      return "LLC";
    case MemoryLevel::dram:
      return "DRAM";
  }
  return "?";
}

/// The smallest level that holds `bytes` whole.
constexpr MemoryLevel level_of(std::size_t bytes, const EnergyTable& table) {
  if (bytes <= table.l1_bytes) return MemoryLevel::l1;
  if (bytes <= table.l2_bytes) return MemoryLevel::l2;
  if (bytes <= table.llc_bytes) return MemoryLevel::llc;
  return MemoryLevel::dram;
}

constexpr double byte_pj(MemoryLevel level, const EnergyTable& table) {
  switch (level) {
    case MemoryLevel::l1:
      return table.l1_byte_pj;
    case MemoryLevel::l2:
      return table.l2_byte_pj;
    case MemoryLevel::llc:
      return table.llc_byte_pj;
    case MemoryLevel::dram:
      return table.dram_byte_pj;
  }
  return table.dram_byte_pj;
}

/// The MAC of a layer whose input has `dtype`.
constexpr double mac_pj(DType dtype, const EnergyTable& table) {
  return dtype == DType::i8 || dtype == DType::u8 ? table.int8_mac_pj : table.fp32_mac_pj;
}

/// One layer: its cost, its input's dtype, and the bytes of all the weights of the network it is
/// in (a layer alone: its own weight bytes).
constexpr Energy estimate(const Cost& cost, DType input_dtype, std::size_t network_weight_bytes,
                          const EnergyTable& table) {
  const auto at = [&](std::uint64_t bytes, std::size_t resident) {
    return static_cast<double>(bytes) * byte_pj(level_of(resident, table), table);
  };
  Energy e;
  e.compute_pj = static_cast<double>(cost.macs) * mac_pj(input_dtype, table) +
                 static_cast<double>(cost.elementwise.adds) * table.fp32_add_pj +
                 static_cast<double>(cost.elementwise.multiplies) * table.fp32_mul_pj;
  e.weights_pj = at(cost.weight_bytes, network_weight_bytes);
  e.activations_pj = at(cost.activation_read_bytes, cost.activation_read_bytes) +
                     at(cost.activation_write_bytes, cost.activation_write_bytes);
  return e;
}

}  // namespace joule::inline JOULE_TARGET::energy
