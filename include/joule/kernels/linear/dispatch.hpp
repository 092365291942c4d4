// The fully connected kernels (also squeeze-excite's two small layers) and which one runs.
#pragma once

#include <array>

#include "joule/core/target.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/linear/reference.hpp"
#include "joule/kernels/linear/simd.hpp"

namespace joule::inline JOULE_TARGET::kernels::linear {

inline constexpr KernelRecord reference_kernel{.op = KernelOp::linear,
                                               .impl = KernelImpl::reference};

#if JOULE_SIMD
/// Eight registers of accumulators (linear/simd.hpp).
inline constexpr KernelRecord simd_kernel{
    .op = KernelOp::linear, .impl = KernelImpl::simd, .tile_rows = 8};
inline constexpr std::array<KernelRecord, 2> records{reference_kernel, simd_kernel};
#else
inline constexpr std::array<KernelRecord, 1> records{reference_kernel};
#endif

constexpr KernelRecord choose() {
  return records.back();
}

constexpr int panels(int out_features) {
  return (out_features + gemm::panel_width - 1) / gemm::panel_width;
}

/// The outputs of weight panels [first_panel, last_panel) (32 outputs each).
template <KernelRecord K, Activation Act>
void run_panels(int first_panel, int last_panel, int in_features, int out_features,
                const float* input, const float* weights, const float* bias, float* output) {
  JOULE_IF_SIMD(
      K, simd<arch::Default, K.tile_rows, Act>(first_panel, last_panel, in_features, out_features,
                                               input, weights, bias, output)) {
    const int first = first_panel * gemm::panel_width;
    const int last = last_panel * gemm::panel_width < out_features ? last_panel * gemm::panel_width
                                                                   : out_features;
    reference<Act>(in_features, out_features, input, weights, bias, output, first, last);
  }
}

template <KernelRecord K, Activation Act>
void run(int in_features, int out_features, const float* input, const float* weights,
         const float* bias, float* output) {
  run_panels<K, Act>(0, panels(out_features), in_features, out_features, input, weights, bias,
                     output);
}

}  // namespace joule::inline JOULE_TARGET::kernels::linear
