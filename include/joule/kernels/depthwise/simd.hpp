// SIMD depthwise convolution, NHWC, specialized on kernel size and stride (3, 5, 7 and 1, 2, the
// shapes MobileNet and EfficientNet use). Channels go in SIMD registers. Output pixels are
// computed a group at a time, channels inside: each input column of the group is loaded once and
// serves every tap over it, and the data is read in order, so rows of any width stream through
// the cache. Groups at the borders read the padding as zeros; rows of padding are left out;
// channel tails use partial loads and stores.
#pragma once

#include <cstddef>

#include "joule/arch/facts.hpp"
#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/elementwise/activation.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::depthwise {

namespace detail {

/// Output pixels computed together: P accumulators, the P * S + K - S input columns they need
/// and one row of K weights must fit the register file.
template <class Arch, int K, int S>
constexpr int pixels_per_group() {
  constexpr int registers = arch::Facts<Arch>::vector_registers;
  for (int p : {8, 4, 2}) {
    if (p + (p - 1) * S + K + K <= registers - 2) return p;
  }
  return 1;
}

template <class Arch, bool Partial>
inline xsimd::batch<float, Arch> load(const float* p, int width) {
  if constexpr (Partial) {
    return arch::load_partial<Arch>(p, static_cast<std::size_t>(width));
  } else {
    return xsimd::batch<float, Arch>::load_unaligned(p);
  }
}

template <class Arch, bool Partial, Activation Act>
inline void store(float* p, xsimd::batch<float, Arch> value, int width) {
  value = Act::apply_batch(value);
  if constexpr (Partial) {
    arch::store_partial<Arch>(p, value, static_cast<std::size_t>(width));
  } else {
    value.store_unaligned(p);
  }
}

/// P output pixels ox0 .. ox0 + P - 1, channels [c0, c0 + width). Each input column is loaded
/// once and used by every tap that covers it. With Checked, columns outside the input (the
/// padding at the left and right borders) read as zeros.
template <class Arch, int K, int S, int P, bool Checked, bool Partial, Activation Act>
inline void pixel_group(const ConvGeometry& g, const float* const* rows, int ox0, int c0, int width,
                        const float* weights, const float* bias, float* out_row) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr int columns = (P - 1) * S + K;
  const std::size_t channels = static_cast<std::size_t>(g.in_channels);
  const int first_column = ox0 * S - g.pad_left;
  Batch acc[P];
  const Batch b = bias ? load<Arch, Partial>(bias + c0, width) : Batch(0.0f);
  JOULE_UNROLL for (int p = 0; p < P; ++p) acc[p] = b;
  JOULE_UNROLL for (int ky = 0; ky < K; ++ky) {
    if (rows[ky] == nullptr) continue;
    Batch column[columns];
    JOULE_UNROLL for (int j = 0; j < columns; ++j) {
      const int ix = first_column + j;
      if (Checked && (ix < 0 || ix >= g.in_width)) {
        column[j] = Batch(0.0f);
      } else {
        column[j] = load<Arch, Partial>(rows[ky] + static_cast<std::size_t>(ix) * channels + c0, width);
      }
    }
    const float* w = weights + static_cast<std::size_t>(ky) * K * channels + c0;
    JOULE_UNROLL for (int kx = 0; kx < K; ++kx) {
      const Batch tap = load<Arch, Partial>(w + kx * channels, width);
      JOULE_UNROLL for (int p = 0; p < P; ++p) acc[p] = xsimd::fma(column[p * S + kx], tap, acc[p]);
    }
  }
  JOULE_UNROLL for (int p = 0; p < P; ++p)
    store<Arch, Partial, Act>(out_row + static_cast<std::size_t>(ox0 + p) * channels + c0, acc[p], width);
}

}  // namespace detail

/// One output row from the K input rows under it (null where the kernel hangs over the padding).
/// Rows may come from anywhere, such as the ring buffer of a fused inverted residual. For each
/// register of channels, pixels go in groups as wide as the registers allow, then narrower groups
/// for the rest of the row; groups that reach over the left or right border are checked.
template <class Arch, int K, int S, Activation Act>
void simd_row(const ConvGeometry& g, const float* const* rows, const float* weights, const float* bias,
              float* out_row) {
  constexpr int group = detail::pixels_per_group<Arch, K, S>();
  constexpr int lanes = static_cast<int>(xsimd::batch<float, Arch>::size);
  const auto pass = [&]<bool Partial>(int c0, int width) {
    const auto at = [&]<int P>(int ox) {
      const bool inside = ox * S - g.pad_left >= 0 && (ox + P - 1) * S - g.pad_left + K - 1 < g.in_width;
      if (inside) {
        detail::pixel_group<Arch, K, S, P, false, Partial, Act>(g, rows, ox, c0, width, weights, bias, out_row);
      } else {
        detail::pixel_group<Arch, K, S, P, true, Partial, Act>(g, rows, ox, c0, width, weights, bias, out_row);
      }
    };
    // Whole groups, then what is left (fewer than `group` pixels, group being 8, 4, 2 or 1) in at
    // most one group of 4, one of 2 and one pixel. (Ifs, not loops: GCC 12 misjudges the trip
    // count of such tail loops once a geometry is propagated into them and warns of overflow.)
    int ox = 0;
    for (; ox + group <= g.out_width; ox += group) at.template operator()<group>(ox);
    if constexpr (group > 4) {
      if (ox + 4 <= g.out_width) {
        at.template operator()<4>(ox);
        ox += 4;
      }
    }
    if constexpr (group > 2) {
      if (ox + 2 <= g.out_width) {
        at.template operator()<2>(ox);
        ox += 2;
      }
    }
    if (ox < g.out_width) at.template operator()<1>(ox);
  };
  int c0 = 0;
  for (; c0 + lanes <= g.in_channels; c0 += lanes) pass.template operator()<false>(c0, lanes);
  if (c0 < g.in_channels) pass.template operator()<true>(c0, g.in_channels - c0);
}

/// Output rows [first_row, last_row); weights [K][K][channels], bias may be null. Requires
/// dilation 1 and kernel / stride equal to K / S.
template <class Arch, int K, int S, Activation Act>
void simd(const ConvGeometry& g, int first_row, int last_row, const float* input, const float* weights,
          const float* bias, float* output) {
  const std::size_t channels = static_cast<std::size_t>(g.in_channels);
  for (int oy = first_row; oy < last_row; ++oy) {
    const float* rows[K];
    for (int ky = 0; ky < K; ++ky) {
      const int iy = oy * S - g.pad_top + ky;
      rows[ky] = (iy < 0 || iy >= g.in_height) ? nullptr : input + static_cast<std::size_t>(iy) * g.in_width * channels;
    }
    simd_row<Arch, K, S, Act>(g, rows, weights, bias, output + static_cast<std::size_t>(oy) * g.out_width * channels);
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::depthwise
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
