// Reference int8 2-D convolution, NHWC, any kernel size, stride, padding, dilation and groups:
// the oracle of the int8 convolution kernels. Inputs are int8 with a zero point, weights int8
// symmetric (zero point 0) in the packed panel layout of gemm/packing.hpp (HWIO rows), sums in
// int32: sum over the taps inside the input of (x - input_zero_point) * w; taps over the padding
// add nothing, as a real zero would.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/int8/requantize.hpp"

// Not inlined: one copy of each kernel serves every layer, whatever its shape.
namespace joule::inline JOULE_TARGET::kernels::conv {

/// Output rows [first_row, last_row).
[[gnu::noinline]] inline void reference_int8(const ConvGeometry& g, const std::int8_t* input,
                                             std::int32_t input_zero_point,
                                             const std::int8_t* weights,
                                             const Int8Output& out_stage, std::int8_t* output,
                                             int first_row, int last_row) {
  const int in_per_group = g.in_channels / g.groups;
  const int out_per_group = g.out_channels / g.groups;
  const int rows = g.kernel_height * g.kernel_width * in_per_group;
  for (int oy = first_row; oy < last_row; ++oy) {
    for (int ox = 0; ox < g.out_width; ++ox) {
      std::int8_t* out =
          output + (static_cast<std::size_t>(oy) * g.out_width + ox) * g.out_channels;
      for (int o = 0; o < g.out_channels; ++o) {
        const int first_in = (o / out_per_group) * in_per_group;
        std::int32_t sum = 0;
        for (int ky = 0; ky < g.kernel_height; ++ky) {
          const int iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
          if (iy < 0 || iy >= g.in_height) continue;
          for (int kx = 0; kx < g.kernel_width; ++kx) {
            const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
            if (ix < 0 || ix >= g.in_width) continue;
            const std::int8_t* in =
                input + (static_cast<std::size_t>(iy) * g.in_width + ix) * g.in_channels + first_in;
            const int first_tap_row = (ky * g.kernel_width + kx) * in_per_group;
            for (int i = 0; i < in_per_group; ++i) {
              sum += (static_cast<std::int32_t>(in[i]) - input_zero_point) *
                     static_cast<std::int32_t>(
                         weights[gemm::packed_index(first_tap_row + i, o, rows)]);
            }
          }
        }
        out[o] = out_stage(sum, o);
      }
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::conv
