// The convolution kernel layers call: the SIMD product for ungrouped convolutions on targets
// xsimd supports; the reference for grouped ones and elsewhere.
#pragma once

#include "joule/kernels/conv/reference.hpp"
#include "joule/kernels/conv/simd.hpp"
#include "joule/kernels/kernel_name.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::conv {

constexpr bool uses_simd(const ConvGeometry& g) { return JOULE_SIMD && g.groups == 1; }

/// Output rows [first_row, last_row).
template <Activation Act>
void run(const ConvGeometry& g, int first_row, int last_row, const float* input, const float* weights,
         const float* bias, float* output) {
#if JOULE_SIMD
  if (g.groups == 1) {
    simd<arch::Default, Act>(g, first_row, last_row, input, weights, bias, output);
    return;
  }
#endif
  reference<Act>(g, input, weights, bias, output, first_row, last_row);
}

constexpr KernelName name(const ConvGeometry& g) {
#if JOULE_SIMD
  if (uses_simd(g)) {
    Text<16> tile;
    tile.append(gemm::main_rows<arch::Default>()).append('x').append(static_cast<int>(2 * arch::lanes));
    return kernel_name("conv", tile.view(), true);
  }
#endif
  (void)g;
  return kernel_name("conv", "", false);
}

}  // namespace joule::inline JOULE_TARGET::kernels::conv
