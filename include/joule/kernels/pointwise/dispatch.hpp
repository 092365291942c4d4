// The pointwise kernel layers call: SIMD on targets xsimd supports, the reference elsewhere.
#pragma once

#include <cstddef>

#include "joule/kernels/kernel_name.hpp"
#include "joule/kernels/pointwise/reference.hpp"
#include "joule/kernels/pointwise/simd.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::pointwise {

/// Pixels [first, last) and output channels [first_channel, last_channel) of
/// out = Act(in * W + bias + residual); first_channel on a panel boundary; residual may be null.
template <Activation Act>
void run_block(std::size_t first, std::size_t last, int first_channel, int last_channel, int in_channels,
               int out_channels, const float* input, const float* weights, const float* bias, const float* residual,
               float* output) {
#if JOULE_SIMD
  simd<arch::Default, Act>(first, last, first_channel, last_channel, in_channels, out_channels, input, weights, bias,
                           residual, output);
#else
  reference<Act>(last - first, in_channels, out_channels, input + first * in_channels, weights, bias,
                 output + first * out_channels, residual ? residual + first * out_channels : nullptr, first_channel,
                 last_channel);
#endif
}

/// Pixels [first, last), every output channel.
template <Activation Act>
void run(std::size_t first, std::size_t last, int in_channels, int out_channels, const float* input,
         const float* weights, const float* bias, const float* residual, float* output) {
  run_block<Act>(first, last, 0, out_channels, in_channels, out_channels, input, weights, bias, residual, output);
}

constexpr KernelName name() {
#if JOULE_SIMD
  Text<16> tile;
  tile.append(gemm::main_rows<arch::Default>()).append('x').append(static_cast<int>(2 * arch::lanes));
  return kernel_name("pointwise", tile.view(), true);
#else
  return kernel_name("pointwise", "", false);
#endif
}

}  // namespace joule::inline JOULE_TARGET::kernels::pointwise
