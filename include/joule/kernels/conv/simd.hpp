// SIMD 2-D convolution (groups 1, any kernel, stride, padding, dilation): the GEMM tile over
// output pixels x output channels, the kernel's taps as the product's outer depth. Pixels whose
// taps all fall inside the input run as one strided product per output row; pixels at the
// borders run one by one with only their valid taps, so padding costs no zeros and no scratch.
#pragma once

#include <cstddef>

#include "joule/arch/simd.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/gemm/tile.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::conv {

/// Output rows [first_row, last_row) of the convolution; weights packed [kh * kw * in][out]
/// (gemm/packing.hpp), bias padded to whole panels or null. MainRows: the register tile's rows.
template <class Arch, Activation Act, int MainRows>
void simd(const ConvGeometry& g, int first_row, int last_row, const float* input,
          const float* weights, const float* bias, float* output) {
  gemm::TileArgs args{};
  args.depth = g.in_channels;
  args.b_rows = g.kernel_height * g.kernel_width * g.in_channels;
  args.b = weights;
  args.bias = bias;
  args.c = output;
  args.c_stride = static_cast<std::size_t>(g.out_channels);

  // Output columns whose every tap is inside the input: ix = ox * stride - pad + kx * dilation.
  const int reach = (g.kernel_width - 1) * g.dilation_width;
  int interior_begin = (g.pad_left + g.stride_width - 1) / g.stride_width;
  int interior_end = 0;
  for (int ox = g.out_width - 1; ox >= 0; --ox) {
    if (ox * g.stride_width - g.pad_left + reach < g.in_width) {
      interior_end = ox + 1;
      break;
    }
  }
  if (interior_begin > interior_end) interior_begin = interior_end;

  const std::size_t pixel_stride = static_cast<std::size_t>(g.stride_width) * g.in_channels;
  for (int oy = first_row; oy < last_row; ++oy) {
    const std::size_t row_first_pixel = static_cast<std::size_t>(oy) * g.out_width;
    // Taps valid for this output row, with their input pointer at output column `ox`.
    const auto taps_for = [&](int ox, bool check_columns, gemm::TapRows& rows) {
      int count = 0;
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        const int iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
        if (iy < 0 || iy >= g.in_height) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (check_columns && (ix < 0 || ix >= g.in_width)) continue;
          rows.base[count] = input + (static_cast<std::size_t>(iy) * g.in_width + ix) * g.in_channels;
          rows.weight_taps[count] = ky * g.kernel_width + kx;
          ++count;
        }
      }
      rows.origin = static_cast<std::size_t>(ox);
      return count;
    };

    // Row m of the product is output column m of this output row.
    args.c = output + row_first_pixel * g.out_channels;
    gemm::TapRows rows{};
    rows.stride = pixel_stride;
    if (interior_begin < interior_end) {
      args.taps = taps_for(interior_begin, false, rows);
      gemm::run_block<Arch, Act, MainRows>(rows, static_cast<std::size_t>(interior_begin),
                                           static_cast<std::size_t>(interior_end), 0,
                                           g.out_channels, args);
    }
    for (int ox = 0; ox < g.out_width; ++ox) {
      if (ox >= interior_begin && ox < interior_end) continue;
      args.taps = taps_for(ox, true, rows);
      gemm::run_block<Arch, Act, MainRows>(rows, static_cast<std::size_t>(ox),
                                           static_cast<std::size_t>(ox) + 1, 0, g.out_channels,
                                           args);
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::conv
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
