// The kernel records of the ops that run on the register tile (gemm/tile.hpp): the reference and,
// where the target has SIMD, the tile of main_rows() rows by two registers of columns.
#pragma once

#include <array>
#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/gemm/tile.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace joule::inline JOULE_TARGET::kernels::gemm {

constexpr auto tile_records(KernelOp op) {
  const KernelRecord reference{.op = op, .impl = KernelImpl::reference};
#if JOULE_SIMD
  const KernelRecord simd{.op = op,
                          .impl = KernelImpl::simd,
                          .tile_rows = static_cast<std::uint8_t>(main_rows<arch::Default>()),
                          .tile_cols = static_cast<std::uint8_t>(2 * arch::lanes)};
  return std::array<KernelRecord, 2>{reference, simd};
#else
  return std::array<KernelRecord, 1>{reference};
#endif
}

}  // namespace joule::inline JOULE_TARGET::kernels::gemm
