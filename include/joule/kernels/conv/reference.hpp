// Reference 2-D convolution, NHWC, any kernel size, stride, padding, dilation and groups.
// Weights are the [kernel_h * kernel_w * in_channels / groups][out_channels] matrix (HWIO order of
// rows) in the packed layout of gemm/packing.hpp.
#pragma once

#include <cstddef>

#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::conv {

/// Output rows [first_row, last_row) (all by default); `bias` may be null.
template <Activation Act>
void reference(const ConvGeometry& g, const float* input, const float* weights, const float* bias,
               float* output, int first_row = 0, int last_row = -1) {
  const int in_per_group = g.in_channels / g.groups;
  const int out_per_group = g.out_channels / g.groups;
  const int rows = g.kernel_height * g.kernel_width * in_per_group;
  if (last_row < 0) last_row = g.out_height;
  for (int oy = first_row; oy < last_row; ++oy) {
    for (int ox = 0; ox < g.out_width; ++ox) {
      float* out = output + (static_cast<std::size_t>(oy) * g.out_width + ox) * g.out_channels;
      for (int o = 0; o < g.out_channels; ++o) {
        const int first_in = (o / out_per_group) * in_per_group;
        float sum = bias ? bias[o] : 0.0f;
        for (int ky = 0; ky < g.kernel_height; ++ky) {
          const int iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
          if (iy < 0 || iy >= g.in_height) continue;
          for (int kx = 0; kx < g.kernel_width; ++kx) {
            const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
            if (ix < 0 || ix >= g.in_width) continue;
            const float* in =
                input + (static_cast<std::size_t>(iy) * g.in_width + ix) * g.in_channels + first_in;
            const int first_row = (ky * g.kernel_width + kx) * in_per_group;
            for (int i = 0; i < in_per_group; ++i) {
              sum += in[i] * weights[gemm::packed_index(first_row + i, o, rows)];
            }
          }
        }
        out[o] = Act::apply(sum);
      }
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::conv
