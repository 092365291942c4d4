// The fully connected kernel layers call (also squeeze-excite's two small layers).
#pragma once

#include "joule/kernels/kernel_name.hpp"
#include "joule/kernels/linear/reference.hpp"
#include "joule/kernels/linear/simd.hpp"

namespace joule::kernels::linear {

template <Activation Act>
void run(int in_features, int out_features, const float* input, const float* weights, const float* bias,
         float* output) {
#if JOULE_SIMD
  simd<arch::Default, Act>(in_features, out_features, input, weights, bias, output);
#else
  reference<Act>(in_features, out_features, input, weights, bias, output);
#endif
}

constexpr KernelName name() { return kernel_name("linear", "8v", JOULE_SIMD); }

}  // namespace joule::kernels::linear
