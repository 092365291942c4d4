// Reference sparse pointwise (1x1) convolution: the oracle of the sparse kernels, with the contract
// of the dense pointwise::reference (pointwise/reference.hpp) on weights in compressed rows
// (sparse_matrix.hpp).
//
// Each output starts from its bias and adds its row's products in increasing input-channel order,
// as the dense reference adds every input channel's. Adding the product of a pruned (zero) weight
// and a finite input adds a zero, which leaves a float sum unchanged, so for finite inputs the
// outputs are the dense reference's on the densified weights bit for bit. The one exception is the
// sign of a zero: with a bias of -0.0 and nothing but zero products, the dense sum turns +0.0
// where this one stays -0.0. An infinite or NaN input gives NaN in the dense kernel (inf * 0) and
// is skipped here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/sparse/sparse_matrix.hpp"

namespace joule::inline JOULE_TARGET::kernels::sparse {

/// out = Act(in * W^T + bias + residual) over `pixels` NHWC pixels, for output channels
/// [first_channel, last_channel) (all by default); in is [pixels][weights.cols], out and residual
/// [pixels][weights.rows]; `bias` ([weights.rows]) and `residual` may be null.
template <Activation Act>
void reference(std::size_t pixels, const SparseMatrixView& weights, const float* input,
               const float* bias, float* output, const float* residual = nullptr,
               int first_channel = 0, int last_channel = -1) {
  if (last_channel < 0) last_channel = weights.rows;
  const std::size_t in_channels = static_cast<std::size_t>(weights.cols);
  const std::size_t out_channels = static_cast<std::size_t>(weights.rows);
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* in = input + p * in_channels;
    float* out = output + p * out_channels;
    for (int o = first_channel; o < last_channel; ++o) {
      float sum = bias ? bias[o] : 0.0f;
      for (std::uint32_t k = weights.offsets[o]; k < weights.offsets[o + 1]; ++k)
        sum += in[weights.columns[k]] * weights.values[k];
      if (residual) sum += residual[p * out_channels + static_cast<std::size_t>(o)];
      out[o] = Act::apply(sum);
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::sparse
