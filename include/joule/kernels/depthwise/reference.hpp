// Reference depthwise convolution, NHWC, one filter per channel (channel multiplier 1).
// Weights are [kernel_h][kernel_w][channels]; geometry.groups must equal the channel count.
#pragma once

#include <cstddef>

#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::depthwise {

/// Output rows [first_row, last_row) (all by default); `bias` may be null.
template <Activation Act>
void reference(const ConvGeometry& g, const float* input, const float* weights, const float* bias,
               float* output, int first_row = 0, int last_row = -1) {
  const int channels = g.in_channels;
  if (last_row < 0) last_row = g.out_height;
  for (int oy = first_row; oy < last_row; ++oy) {
    for (int ox = 0; ox < g.out_width; ++ox) {
      float* out = output + (static_cast<std::size_t>(oy) * g.out_width + ox) * channels;
      for (int c = 0; c < channels; ++c) {
        float sum = bias ? bias[c] : 0.0f;
        for (int ky = 0; ky < g.kernel_height; ++ky) {
          const int iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
          if (iy < 0 || iy >= g.in_height) continue;
          for (int kx = 0; kx < g.kernel_width; ++kx) {
            const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
            if (ix < 0 || ix >= g.in_width) continue;
            sum += input[(static_cast<std::size_t>(iy) * g.in_width + ix) * channels + c] *
                   weights[(static_cast<std::size_t>(ky) * g.kernel_width + kx) * channels + c];
          }
        }
        out[c] = Act::apply(sum);
      }
    }
  }
}

/// One output row from the kernel_height input rows under it (null over the padding).
template <Activation Act>
void reference_row(const ConvGeometry& g, const float* const* rows, const float* weights, const float* bias,
                   float* out_row) {
  const int channels = g.in_channels;
  for (int ox = 0; ox < g.out_width; ++ox) {
    for (int c = 0; c < channels; ++c) {
      float sum = bias ? bias[c] : 0.0f;
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (ix < 0 || ix >= g.in_width) continue;
          sum += rows[ky][static_cast<std::size_t>(ix) * channels + c] *
                 weights[(static_cast<std::size_t>(ky) * g.kernel_width + kx) * channels + c];
        }
      }
      out_row[static_cast<std::size_t>(ox) * channels + c] = Act::apply(sum);
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::depthwise
