// SIMD element-wise kernels: the residual sum, the squeeze-excite rescale, a standalone
// BatchNorm's affine. Memory-bound loops; tails through partial loads and stores.
#pragma once

#include <cstddef>

#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::elementwise {

template <class Arch, Activation Act>
void add_simd(std::size_t count, const float* a, const float* b, float* output) {
  using Batch = xsimd::batch<float, Arch>;
  std::size_t i = 0;
  for (; i + Batch::size <= count; i += Batch::size)
    Act::apply_batch(Batch::load_unaligned(a + i) + Batch::load_unaligned(b + i)).store_unaligned(output + i);
  if (i < count) {
    const std::size_t rest = count - i;
    arch::store_partial<Arch>(
        output + i, Act::apply_batch(arch::load_partial<Arch>(a + i, rest) + arch::load_partial<Arch>(b + i, rest)), rest);
  }
}

/// output[p][c] = Act(input[p][c] * scale[c] + shift[c]); shift may be null (then 0).
template <class Arch, Activation Act>
void affine_channels_simd(std::size_t pixels, int channels, const float* input, const float* scale,
                          const float* shift, float* output) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr int lanes = static_cast<int>(Batch::size);
  for (int c0 = 0; c0 < channels; c0 += lanes) {
    const int width = channels - c0 < lanes ? channels - c0 : lanes;
    const std::size_t w = static_cast<std::size_t>(width);
    const bool full = width == lanes;
    const Batch s = full ? Batch::load_unaligned(scale + c0) : arch::load_partial<Arch>(scale + c0, w);
    const Batch t = shift == nullptr ? Batch(0.0f)
                    : full           ? Batch::load_unaligned(shift + c0)
                                     : arch::load_partial<Arch>(shift + c0, w);
    for (std::size_t p = 0; p < pixels; ++p) {
      const std::size_t at = p * channels + c0;
      if (full) {
        Act::apply_batch(xsimd::fma(Batch::load_unaligned(input + at), s, t)).store_unaligned(output + at);
      } else {
        arch::store_partial<Arch>(output + at, Act::apply_batch(xsimd::fma(arch::load_partial<Arch>(input + at, w), s, t)),
                                  w);
      }
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::elementwise
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
