// Reference fully connected layer. Weights are [in_features][out_features] in the packed layout
// of gemm/packing.hpp.
#pragma once

#include <cstddef>

#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::linear {

/// Outputs [first, last) (all by default); `bias` may be null.
template <Activation Act>
void reference(int in_features, int out_features, const float* input, const float* weights,
               const float* bias, float* output, int first = 0, int last = -1) {
  if (last < 0) last = out_features;
  for (int o = first; o < last; ++o) {
    float sum = bias ? bias[o] : 0.0f;
    for (int i = 0; i < in_features; ++i) sum += input[i] * weights[gemm::packed_index(i, o, in_features)];
    output[o] = Act::apply(sum);
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::linear
