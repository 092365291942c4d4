// Reference pointwise (1x1) convolution: a [pixels x in] by [in x out] matrix product.
// Weights are [in_channels][out_channels] in the packed layout of gemm/packing.hpp.
#pragma once

#include <cstddef>

#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::pointwise {

/// out = Act(in * W + bias + residual) for output channels [first_channel, last_channel) (all by
/// default); `bias` and `residual` ([pixels][out]) may be null.
template <Activation Act>
void reference(std::size_t pixels, int in_channels, int out_channels, const float* input,
               const float* weights, const float* bias, float* output, const float* residual = nullptr,
               int first_channel = 0, int last_channel = -1) {
  if (last_channel < 0) last_channel = out_channels;
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* in = input + p * in_channels;
    float* out = output + p * out_channels;
    for (int o = first_channel; o < last_channel; ++o) {
      float sum = bias ? bias[o] : 0.0f;
      for (int i = 0; i < in_channels; ++i) sum += in[i] * weights[gemm::packed_index(i, o, in_channels)];
      if (residual) sum += residual[p * out_channels + o];
      out[o] = Act::apply(sum);
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::pointwise
