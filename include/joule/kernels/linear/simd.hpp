// SIMD fully connected layer (a matrix-vector product): output features in registers, four
// registers at a time, each input feature broadcast against a row of joule's [in][out] weights.
#pragma once

#include <cstddef>

#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/kernels/elementwise/activation.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::kernels::linear {

namespace detail {
template <class Arch, int Vectors, bool Partial, Activation Act>
inline void block(int in_features, int out_features, int o0, int width, const float* input, const float* weights,
                  const float* bias, float* output) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr int lanes = static_cast<int>(Batch::size);
  const auto load = [&](const float* p, int v) {
    if constexpr (Partial) {
      if (v == Vectors - 1) return arch::load_partial<Arch>(p + v * lanes, static_cast<std::size_t>(width - v * lanes));
    }
    return Batch::load_unaligned(p + v * lanes);
  };
  Batch acc[Vectors];
  JOULE_UNROLL for (int v = 0; v < Vectors; ++v) acc[v] = bias ? load(bias + o0, v) : Batch(0.0f);
  const float* w = weights + o0;
  for (int i = 0; i < in_features; ++i, w += out_features) {
    const Batch x(input[i]);
    JOULE_UNROLL for (int v = 0; v < Vectors; ++v) acc[v] = xsimd::fma(x, load(w, v), acc[v]);
  }
  JOULE_UNROLL for (int v = 0; v < Vectors; ++v) {
    const Batch value = Act::apply_batch(acc[v]);
    if (Partial && v == Vectors - 1) {
      arch::store_partial<Arch>(output + o0 + v * lanes, value, static_cast<std::size_t>(width - v * lanes));
    } else {
      value.store_unaligned(output + o0 + v * lanes);
    }
  }
}
}  // namespace detail

/// Output features [first, last) of Act(input * W + bias); bias may be null.
template <class Arch, Activation Act>
void simd(int first, int last, int in_features, int out_features, const float* input, const float* weights,
          const float* bias, float* output) {
  constexpr int lanes = static_cast<int>(xsimd::batch<float, Arch>::size);
  int o = first;
  for (; o + 4 * lanes <= last; o += 4 * lanes)
    detail::block<Arch, 4, false, Act>(in_features, out_features, o, 4 * lanes, input, weights, bias, output);
  for (; o + lanes <= last; o += lanes)
    detail::block<Arch, 1, false, Act>(in_features, out_features, o, lanes, input, weights, bias, output);
  if (o < last) detail::block<Arch, 1, true, Act>(in_features, out_features, o, last - o, input, weights, bias, output);
}

}  // namespace joule::kernels::linear
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
