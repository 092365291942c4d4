// SIMD pointwise (1x1) convolution: the GEMM tile over pixels x output channels, on packed
// [in][out] weights, bias, activation and an optional residual fused into the store.
#pragma once

#include <cstddef>

#include "joule/arch/simd.hpp"
#include "joule/kernels/gemm/tile.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::pointwise {

/// Output pixels [first, last) and channels [first_channel, last_channel) (first_channel on a
/// panel boundary) of out = Act(in * W + bias + residual); residual may be null. MainRows: the
/// register tile's rows.
template <class Arch, Activation Act, int MainRows>
void simd(std::size_t first, std::size_t last, int first_channel, int last_channel, int in_channels,
          int out_channels, const float* input, const float* weights, const float* bias,
          const float* residual, float* output) {
  gemm::TileArgs args{};
  args.taps = 1;
  args.depth = in_channels;
  args.b_rows = in_channels;
  args.b = weights;
  args.bias = bias;
  args.residual = residual;
  args.c = output;
  args.c_stride = static_cast<std::size_t>(out_channels);
  gemm::run_block<Arch, Act, MainRows>(
      gemm::DirectRows{input, static_cast<std::size_t>(in_channels)}, first, last, first_channel,
      last_channel, args);
}

}  // namespace joule::inline JOULE_TARGET::kernels::pointwise
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
