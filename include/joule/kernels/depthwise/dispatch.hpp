// The depthwise kernel layers call: the SIMD kernel specialized on kernel size and stride for
// 3/5/7 x 1/2 without dilation on targets xsimd supports; the reference otherwise.
#pragma once

#include "joule/kernels/depthwise/reference.hpp"
#include "joule/kernels/depthwise/simd.hpp"
#include "joule/kernels/kernel_name.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::depthwise {

constexpr bool uses_simd(const ConvGeometry& g) {
  const bool square = g.kernel_height == g.kernel_width && g.stride_height == g.stride_width;
  const bool supported = (g.kernel_width == 3 || g.kernel_width == 5 || g.kernel_width == 7) &&
                         (g.stride_width == 1 || g.stride_width == 2);
  return JOULE_SIMD && square && supported && g.dilation_height == 1 && g.dilation_width == 1 &&
         g.pad_top == g.pad_left;
}

/// Output rows [first_row, last_row).
template <Activation Act>
void run(const ConvGeometry& g, int first_row, int last_row, const float* input, const float* weights,
         const float* bias, float* output) {
#if JOULE_SIMD
  if (uses_simd(g)) {
    using A = arch::Default;
    const auto go = [&]<int K, int S>() { simd<A, K, S, Act>(g, first_row, last_row, input, weights, bias, output); };
    switch (g.kernel_width * 10 + g.stride_width) {
      case 31: go.template operator()<3, 1>(); return;
      case 32: go.template operator()<3, 2>(); return;
      case 51: go.template operator()<5, 1>(); return;
      case 52: go.template operator()<5, 2>(); return;
      case 71: go.template operator()<7, 1>(); return;
      case 72: go.template operator()<7, 2>(); return;
      default: break;
    }
  }
#endif
  reference<Act>(g, input, weights, bias, output, first_row, last_row);
}

/// One output row from the kernel_height input rows under it (null over the padding): what the
/// fused inverted residual calls on its ring of expanded rows. Rows for dilation d are the input
/// rows oy * stride - pad + ky * d.
template <Activation Act>
void run_row(const ConvGeometry& g, const float* const* rows, const float* weights, const float* bias, float* out_row) {
#if JOULE_SIMD
  if (uses_simd(g)) {
    using A = arch::Default;
    const auto go = [&]<int K, int S>() { simd_row<A, K, S, Act>(g, rows, weights, bias, out_row); };
    switch (g.kernel_width * 10 + g.stride_width) {
      case 31: go.template operator()<3, 1>(); return;
      case 32: go.template operator()<3, 2>(); return;
      case 51: go.template operator()<5, 1>(); return;
      case 52: go.template operator()<5, 2>(); return;
      case 71: go.template operator()<7, 1>(); return;
      case 72: go.template operator()<7, 2>(); return;
      default: break;
    }
  }
#endif
  reference_row<Act>(g, rows, weights, bias, out_row);
}

constexpr KernelName name(const ConvGeometry& g) {
  if (!uses_simd(g)) return kernel_name("dwconv", "", false);
  Text<16> shape;
  shape.append(g.kernel_width).append('x').append(g.kernel_height).append('s').append(g.stride_width);
  return kernel_name("dwconv", shape.view(), true);
}

}  // namespace joule::inline JOULE_TARGET::kernels::depthwise
