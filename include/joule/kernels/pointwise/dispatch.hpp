// The pointwise kernels and which one a layer runs: the SIMD register tile on targets xsimd
// supports, the reference elsewhere.
#pragma once

#include <array>
#include <cstddef>

#include "joule/core/target.hpp"
#include "joule/kernels/gemm/records.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pointwise/reference.hpp"
#include "joule/kernels/pointwise/simd.hpp"

namespace joule::inline JOULE_TARGET::kernels::pointwise {

/// Every pointwise kernel of this target, the reference first.
inline constexpr auto records = gemm::tile_records(KernelOp::pointwise);
inline constexpr KernelRecord reference_kernel = records.front();

/// The kernel pointwise layers run.
constexpr KernelRecord choose() {
  return records.back();
}

/// Pixels [first, last) and output channels [first_channel, last_channel) of
/// out = Act(in * W + bias + residual); first_channel on a panel boundary; residual may be null.
template <KernelRecord K, Activation Act>
void run_block(std::size_t first, std::size_t last, int first_channel, int last_channel,
               int in_channels, int out_channels, const float* input, const float* weights,
               const float* bias, const float* residual, float* output) {
  JOULE_IF_SIMD(K, simd<arch::Default, Act, K.tile_rows>(first, last, first_channel, last_channel,
                                                         in_channels, out_channels, input, weights,
                                                         bias, residual, output)) {
    reference<Act>(last - first, in_channels, out_channels, input + first * in_channels, weights,
                   bias, output + first * out_channels,
                   residual ? residual + first * out_channels : nullptr, first_channel,
                   last_channel);
  }
}

/// Pixels [first, last), every output channel.
template <KernelRecord K, Activation Act>
void run(std::size_t first, std::size_t last, int in_channels, int out_channels, const float* input,
         const float* weights, const float* bias, const float* residual, float* output) {
  run_block<K, Act>(first, last, 0, out_channels, in_channels, out_channels, input, weights, bias,
                    residual, output);
}

}  // namespace joule::inline JOULE_TARGET::kernels::pointwise
