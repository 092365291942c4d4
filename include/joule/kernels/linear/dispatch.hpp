// The fully connected kernel layers call (also squeeze-excite's two small layers).
#pragma once

#include "joule/kernels/kernel_name.hpp"
#include "joule/kernels/linear/reference.hpp"
#include "joule/kernels/linear/simd.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::linear {

inline int panels(int out_features) { return (out_features + gemm::panel_width - 1) / gemm::panel_width; }

/// The outputs of weight panels [first_panel, last_panel) (32 outputs each).
template <Activation Act>
void run_panels(int first_panel, int last_panel, int in_features, int out_features, const float* input,
                const float* weights, const float* bias, float* output) {
#if JOULE_SIMD
  simd<arch::Default, Act>(first_panel, last_panel, in_features, out_features, input, weights, bias, output);
#else
  const int first = first_panel * gemm::panel_width;
  const int last = last_panel * gemm::panel_width < out_features ? last_panel * gemm::panel_width : out_features;
  reference<Act>(in_features, out_features, input, weights, bias, output, first, last);
#endif
}

template <Activation Act>
void run(int in_features, int out_features, const float* input, const float* weights, const float* bias,
         float* output) {
  run_panels<Act>(0, panels(out_features), in_features, out_features, input, weights, bias, output);
}

constexpr KernelName name() { return kernel_name("linear", "8v", JOULE_SIMD); }

}  // namespace joule::inline JOULE_TARGET::kernels::linear
