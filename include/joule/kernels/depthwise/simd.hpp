// SIMD depthwise convolution, NHWC, specialized on kernel size and stride (3, 5, 7 and 1, 2, the
// shapes MobileNet and EfficientNet use). Channels go in SIMD registers; for each register of
// channels the K x K filter taps stay in registers across a whole output row, so each
// multiply-add loads only its input. Columns whose taps all fall inside the input skip the
// bounds checks; rows of padding are left out; channel tails use partial loads and stores.
#pragma once

#include <cstddef>

#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/elementwise/activation.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::kernels::depthwise {

namespace detail {

template <class Arch, int K, int S, bool Partial, Activation Act>
inline void row_block(const ConvGeometry& g, const float* const* rows, int interior_begin, int interior_end,
                      int c0, int width, const float* weights, const float* bias, float* out_row) {
  using Batch = xsimd::batch<float, Arch>;
  const std::size_t channels = static_cast<std::size_t>(g.in_channels);
  const auto load = [&](const float* p) {
    if constexpr (Partial) {
      return arch::load_partial<Arch>(p, static_cast<std::size_t>(width));
    } else {
      return Batch::load_unaligned(p);
    }
  };

  Batch w[K * K];
  for (int t = 0; t < K * K; ++t) w[t] = load(weights + static_cast<std::size_t>(t) * channels + c0);
  const Batch b = bias ? load(bias + c0) : Batch(0.0f);

  const auto store = [&](int ox, Batch value) {
    value = Act::apply_batch(value);
    float* out = out_row + static_cast<std::size_t>(ox) * channels + c0;
    if constexpr (Partial) {
      arch::store_partial<Arch>(out, value, static_cast<std::size_t>(width));
    } else {
      value.store_unaligned(out);
    }
  };
  const auto border = [&](int ox) {
    Batch acc = b;
    for (int ky = 0; ky < K; ++ky) {
      if (rows[ky] == nullptr) continue;
      for (int kx = 0; kx < K; ++kx) {
        const int ix = ox * S - g.pad_left + kx;
        if (ix < 0 || ix >= g.in_width) continue;
        acc = xsimd::fma(load(rows[ky] + static_cast<std::size_t>(ix) * channels + c0), w[ky * K + kx], acc);
      }
    }
    store(ox, acc);
  };

  for (int ox = 0; ox < interior_begin; ++ox) border(ox);
  for (int ox = interior_begin; ox < interior_end; ++ox) {
    Batch acc = b;
    const std::size_t first = static_cast<std::size_t>(ox * S - g.pad_left) * channels + c0;
    JOULE_UNROLL for (int ky = 0; ky < K; ++ky) {
      if (rows[ky] == nullptr) continue;
      const float* in = rows[ky] + first;
      JOULE_UNROLL for (int kx = 0; kx < K; ++kx) acc = xsimd::fma(load(in + kx * channels), w[ky * K + kx], acc);
    }
    store(ox, acc);
  }
  for (int ox = interior_end; ox < g.out_width; ++ox) border(ox);
}

}  // namespace detail

/// Output rows [first_row, last_row); weights [K][K][channels], bias may be null. Requires
/// dilation 1 and kernel / stride equal to K / S.
template <class Arch, int K, int S, Activation Act>
void simd(const ConvGeometry& g, int first_row, int last_row, const float* input, const float* weights,
          const float* bias, float* output) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr int lanes = static_cast<int>(Batch::size);
  const std::size_t channels = static_cast<std::size_t>(g.in_channels);

  int interior_begin = (g.pad_left + S - 1) / S;
  int interior_end = 0;
  for (int ox = g.out_width - 1; ox >= 0; --ox) {
    if (ox * S - g.pad_left + K - 1 < g.in_width) {
      interior_end = ox + 1;
      break;
    }
  }
  if (interior_begin > interior_end) interior_begin = interior_end;

  for (int oy = first_row; oy < last_row; ++oy) {
    const float* rows[K];
    for (int ky = 0; ky < K; ++ky) {
      const int iy = oy * S - g.pad_top + ky;
      rows[ky] = (iy < 0 || iy >= g.in_height) ? nullptr : input + static_cast<std::size_t>(iy) * g.in_width * channels;
    }
    float* out_row = output + static_cast<std::size_t>(oy) * g.out_width * channels;
    int c0 = 0;
    for (; c0 + lanes <= g.in_channels; c0 += lanes) {
      detail::row_block<Arch, K, S, false, Act>(g, rows, interior_begin, interior_end, c0, lanes, weights, bias, out_row);
    }
    if (c0 < g.in_channels) {
      detail::row_block<Arch, K, S, true, Act>(g, rows, interior_begin, interior_end, c0, g.in_channels - c0, weights,
                                               bias, out_row);
    }
  }
}

}  // namespace joule::kernels::depthwise
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
