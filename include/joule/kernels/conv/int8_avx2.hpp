// AVX2 int8 KxK convolution (groups 1), bit-identical to conv::reference_int8 on the same packed
// weights: the patches under a run of output pixels are gathered into a stack buffer in the
// weights' row order ([ky][kx][channel], the HWIO rows of the panels) and multiplied by the
// weights with the int8 pointwise kernel. A tap over the padding is written as the input's zero
// point, which adds (z - z) x w = 0, exactly what the reference's skipped tap adds; the sums are
// the same integers, so the outputs are the same bits. Grouped convolutions, and patches longer
// than the buffer, take the reference.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/conv/int8_reference.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/pointwise/int8_avx2.hpp"

#if JOULE_SIMD && defined(__AVX2__)

namespace joule::inline JOULE_TARGET::kernels::conv {

/// Output rows [first_row, last_row), as reference_int8.
// Not inlined: one copy serves every layer, whatever its shape.
[[gnu::noinline]] inline void avx2_int8(const ConvGeometry& g, const std::int8_t* input,
                                        std::int32_t input_zero_point, const std::int8_t* weights,
                                        const Int8Output& out_stage, std::int8_t* output,
                                        int first_row, int last_row) {
  constexpr int buffer_bytes = 16 * 1024;
  const int rows = g.kernel_height * g.kernel_width * g.in_channels;
  if (g.groups != 1 || rows > buffer_bytes || input_zero_point < -128 || input_zero_point > 127) {
    reference_int8(g, input, input_zero_point, weights, out_stage, output, first_row, last_row);
    return;
  }
  alignas(32) std::int8_t patches[buffer_bytes];
  const auto pad = static_cast<std::int8_t>(input_zero_point);
  const std::size_t channels = static_cast<std::size_t>(g.in_channels);
  // Runs of whole 6-pixel tiles where the buffer holds more than one.
  int run = std::min(g.out_width, buffer_bytes / rows);
  if (run > 6) run = run / 6 * 6;
  for (int oy = first_row; oy < last_row; ++oy) {
    for (int first = 0; first < g.out_width; first += run) {
      const int count = std::min(run, g.out_width - first);
      for (int p = 0; p < count; ++p) {
        std::int8_t* patch = patches + static_cast<std::size_t>(p) * rows;
        const int ox = first + p;
        for (int ky = 0; ky < g.kernel_height; ++ky) {
          const int iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
          for (int kx = 0; kx < g.kernel_width; ++kx, patch += channels) {
            const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
            if (iy < 0 || iy >= g.in_height || ix < 0 || ix >= g.in_width) {
              std::memset(patch, pad, channels);
            } else {
              std::memcpy(patch,
                          input + (static_cast<std::size_t>(iy) * g.in_width + ix) * channels,
                          channels);
            }
          }
        }
      }
      pointwise::avx2_int8(
          0, static_cast<std::size_t>(count), 0, g.out_channels, rows, g.out_channels, patches,
          input_zero_point, weights, out_stage,
          output + (static_cast<std::size_t>(oy) * g.out_width + first) * g.out_channels);
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::conv

#endif  // JOULE_SIMD && __AVX2__
