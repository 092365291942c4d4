// SIMD global average pooling. Each register of channels sums blocks of pixels in float, and the
// block sums go into double, which keeps EfficientNet's 300x300 maps as accurate as the
// reference (a float running sum over 90,000 pixels drifts by about 1e-5 relative).
#pragma once

#include <cstddef>

#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::pool {

template <class Arch>
void global_average_simd(std::size_t pixels, int channels, const float* input, float* output) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr int lanes = static_cast<int>(Batch::size);
  constexpr std::size_t block = 256;
  const std::size_t stride = static_cast<std::size_t>(channels);
  for (int c0 = 0; c0 < channels; c0 += lanes) {
    const int width = channels - c0 < lanes ? channels - c0 : lanes;
    double total[lanes] = {};
    for (std::size_t p0 = 0; p0 < pixels; p0 += block) {
      const std::size_t p1 = p0 + block < pixels ? p0 + block : pixels;
      Batch sum(0.0f);
      for (std::size_t p = p0; p < p1; ++p) {
        const float* in = input + p * stride + c0;
        sum += width == lanes ? Batch::load_unaligned(in) : arch::load_partial<Arch>(in, static_cast<std::size_t>(width));
      }
      alignas(64) float partial[lanes];
      sum.store_aligned(partial);
      for (int i = 0; i < lanes; ++i) total[i] += partial[i];
    }
    for (int i = 0; i < width; ++i) output[c0 + i] = static_cast<float>(total[i] / static_cast<double>(pixels));
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::pool
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
