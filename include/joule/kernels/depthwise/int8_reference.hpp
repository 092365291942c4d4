// Reference int8 depthwise convolution, NHWC, one filter per channel: the oracle of the int8
// depthwise kernels. Weights [kernel_h][kernel_w][channels] int8 (zero point 0); per channel the
// int32 sum of (x - input_zero_point) * w over the taps inside the input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/int8/requantize.hpp"

// Not inlined: one copy of each kernel serves every layer, whatever its shape.
namespace joule::inline JOULE_TARGET::kernels::depthwise {

/// One output row from the kernel_height input rows under it (null over the padding), the form
/// the fused inverted residual calls on its ring of expanded rows.
[[gnu::noinline]] inline void reference_row_int8(
    const ConvGeometry& g, const std::int8_t* const* rows, std::int32_t input_zero_point,
    const std::int8_t* weights, const Int8Output& out_stage, std::int8_t* out_row) {
  const int channels = g.in_channels;
  for (int ox = 0; ox < g.out_width; ++ox) {
    for (int c = 0; c < channels; ++c) {
      std::int32_t sum = 0;
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (ix < 0 || ix >= g.in_width) continue;
          sum += (static_cast<std::int32_t>(rows[ky][static_cast<std::size_t>(ix) * channels + c]) -
                  input_zero_point) *
                 static_cast<std::int32_t>(
                     weights[(static_cast<std::size_t>(ky) * g.kernel_width + kx) * channels + c]);
        }
      }
      out_row[static_cast<std::size_t>(ox) * channels + c] = out_stage(sum, c);
    }
  }
}

/// Output rows [first_row, last_row), each by row_kernel (reference_row_int8 or a kernel with its
/// signature) on the input rows under it.
template <class RowKernel>
void rows_int8(RowKernel row_kernel, const ConvGeometry& g, const std::int8_t* input,
               std::int32_t input_zero_point, const std::int8_t* weights,
               const Int8Output& out_stage, std::int8_t* output, int first_row, int last_row) {
  constexpr int max_kernel = 7;
  const std::size_t in_row = static_cast<std::size_t>(g.in_width) * g.in_channels;
  const std::size_t out_row = static_cast<std::size_t>(g.out_width) * g.in_channels;
  for (int oy = first_row; oy < last_row; ++oy) {
    const std::int8_t* rows[max_kernel];
    for (int ky = 0; ky < g.kernel_height; ++ky) {
      const int iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
      rows[ky] =
          iy < 0 || iy >= g.in_height ? nullptr : input + static_cast<std::size_t>(iy) * in_row;
    }
    row_kernel(g, rows, input_zero_point, weights, out_stage,
               output + static_cast<std::size_t>(oy) * out_row);
  }
}

/// Output rows [first_row, last_row).
[[gnu::noinline]] inline void reference_int8(const ConvGeometry& g, const std::int8_t* input,
                                             std::int32_t input_zero_point,
                                             const std::int8_t* weights,
                                             const Int8Output& out_stage, std::int8_t* output,
                                             int first_row, int last_row) {
  rows_int8(&reference_row_int8, g, input, input_zero_point, weights, out_stage, output, first_row,
            last_row);
}

}  // namespace joule::inline JOULE_TARGET::kernels::depthwise
