// The depthwise kernels and which one a layer runs: SIMD kernels specialized on kernel size and
// stride (3/5/7 x 1/2, no dilation, square) on targets xsimd supports; the reference otherwise.
#pragma once

#include <array>

#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/depthwise/reference.hpp"
#include "joule/kernels/depthwise/simd.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace joule::inline JOULE_TARGET::kernels::depthwise {

inline constexpr KernelRecord reference_kernel{.op = KernelOp::dwconv,
                                               .impl = KernelImpl::reference};

constexpr KernelRecord simd_kernel(int kernel, int stride) {
  return KernelRecord{.op = KernelOp::dwconv,
                      .impl = KernelImpl::simd,
                      .kernel = static_cast<std::uint8_t>(kernel),
                      .stride = static_cast<std::uint8_t>(stride)};
}

/// Every depthwise kernel of this target, the reference first.
#if JOULE_SIMD
inline constexpr std::array<KernelRecord, 7> records{
    reference_kernel,  simd_kernel(3, 1), simd_kernel(3, 2), simd_kernel(5, 1),
    simd_kernel(5, 2), simd_kernel(7, 1), simd_kernel(7, 2)};
#else
inline constexpr std::array<KernelRecord, 1> records{reference_kernel};
#endif

/// Whether kernel `k` computes geometry `g`.
constexpr bool fits(const KernelRecord& k, const ConvGeometry& g) {
  if (!k.simd()) return true;
  return g.kernel_height == k.kernel && g.kernel_width == k.kernel && g.stride_height == k.stride &&
         g.stride_width == k.stride && g.dilation_height == 1 && g.dilation_width == 1 &&
         g.pad_top == g.pad_left;
}

/// The kernel a layer with geometry `g` runs: the first SIMD record that fits, else the reference.
constexpr KernelRecord choose(const ConvGeometry& g) {
  for (const KernelRecord& k : records)
    if (k.simd() && fits(k, g)) return k;
  return reference_kernel;
}

/// Output rows [first_row, last_row) with kernel K (fits(K, g) must hold).
template <KernelRecord K, Activation Act>
void run(const ConvGeometry& g, int first_row, int last_row, const float* input,
         const float* weights, const float* bias, float* output) {
  JOULE_IF_SIMD(K, simd<arch::Default, K.kernel, K.stride, Act>(g, first_row, last_row, input,
                                                                weights, bias, output)) {
    reference<Act>(g, input, weights, bias, output, first_row, last_row);
  }
}

/// One output row from the kernel_height input rows under it (null over the padding): what the
/// fused inverted residual calls on its ring of expanded rows. Rows for dilation d are the input
/// rows oy * stride - pad + ky * d.
template <KernelRecord K, Activation Act>
void run_row(const ConvGeometry& g, const float* const* rows, const float* weights,
             const float* bias, float* out_row) {
  JOULE_IF_SIMD(K,
                simd_row<arch::Default, K.kernel, K.stride, Act>(g, rows, weights, bias, out_row)) {
    reference_row<Act>(g, rows, weights, bias, out_row);
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::depthwise
