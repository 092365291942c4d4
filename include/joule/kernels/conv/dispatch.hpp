// The convolution kernels and which one a layer runs: the SIMD register tile for ungrouped
// convolutions on targets xsimd supports; the reference for grouped ones and elsewhere.
#pragma once

#include <array>

#include "joule/core/target.hpp"
#include "joule/kernels/conv/reference.hpp"
#include "joule/kernels/conv/simd.hpp"
#include "joule/kernels/gemm/records.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace joule::inline JOULE_TARGET::kernels::conv {

/// Every conv kernel of this target, the reference first.
inline constexpr auto records = gemm::tile_records(KernelOp::conv);
inline constexpr KernelRecord reference_kernel = records.front();

/// Whether kernel `k` computes geometry `g`: the SIMD tile needs groups 1.
constexpr bool fits(const KernelRecord& k, const ConvGeometry& g) {
  return !k.simd() || g.groups == 1;
}

constexpr KernelRecord choose(const ConvGeometry& g) {
  return fits(records.back(), g) ? records.back() : reference_kernel;
}

/// Output rows [first_row, last_row) with kernel K (fits(K, g) must hold).
template <KernelRecord K, Activation Act>
void run(const ConvGeometry& g, int first_row, int last_row, const float* input,
         const float* weights, const float* bias, float* output) {
  JOULE_IF_SIMD(K, simd<arch::Default, Act, K.tile_rows>(g, first_row, last_row, input, weights,
                                                         bias, output)) {
    reference<Act>(g, input, weights, bias, output, first_row, last_row);
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::conv
