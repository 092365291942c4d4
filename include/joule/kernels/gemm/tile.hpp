// The register-blocked matrix-product tile all convolutions with channel mixing run on:
//   C[m][n] = Act(bias[n] + residual[m][n] + sum over taps t, depth k of A_t[m][k] * B[t * depth + k][n])
// for `Rows` rows of C and `Vectors` SIMD registers of columns, with the accumulators in
// registers for the whole depth. Pointwise convolutions have one tap and A rows that follow each
// other; a KxK convolution has K*K taps whose A rows are pixels of the input (or a row of zeros
// where the kernel hangs over the padding), found through an indirection table.
//
// B is joule's packed weight layout (gemm/packing.hpp: panels of 32 columns, zero-padded), read
// panel by panel in order, so no tile needs a partial load of weights. The bias is padded the
// same way. Columns of C past `cols` (a tail narrower than the tile) are never written.
#pragma once

#include <cstddef>

#include "joule/arch/facts.hpp"
#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/gemm/packing.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::gemm {

/// A rows that follow each other in memory: row m at a + m * stride; one tap.
struct DirectRows {
  const float* a;
  std::size_t stride;
  const float* row(std::size_t m, int /*tap*/) const { return a + m * stride; }
  int weight_tap(int tap) const { return tap; }
};

/// The taps of a KxK convolution over output pixels origin, origin + 1, ... of one row: tap t's A
/// row for pixel m is base[t] + (m - origin) * stride (the input pixel under that tap), and its
/// weights are B rows [weight_tap[t] * depth, ...). Taps over the padding are left out.
struct TapRows {
  static constexpr int max_taps = 49;
  const float* base[max_taps];
  int weight_taps[max_taps];
  std::size_t stride;
  std::size_t origin;
  const float* row(std::size_t m, int tap) const { return base[tap] + (m - origin) * stride; }
  int weight_tap(int tap) const { return weight_taps[tap]; }
};

struct TileArgs {
  std::size_t m0;          // first row of C
  int n0;                  // first column of C
  int cols;                // columns of this tile that exist (<= Vectors * lanes)
  int taps;
  int depth;
  int b_rows;              // rows of the whole packed B: all taps x depth
  const float* b;          // packed B
  const float* bias;       // padded to whole panels; may be null
  const float* residual;   // [M][c_stride], may be null
  float* c;
  std::size_t c_stride;
};

/// One tile of Rows x (Vectors registers). Partial: the last register holds fewer than `lanes`
/// columns (args.cols says how many exist).
template <class Arch, int Rows, int Vectors, bool Partial, Activation Act, class ARows>
inline void tile(const ARows& a, const TileArgs& args) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr int lanes = static_cast<int>(Batch::size);
  static_assert(Vectors * lanes <= panel_width && panel_width % (Vectors * lanes) == 0,
                "a tile lies within one panel of packed weights");
  const int last_cols = args.cols - (Vectors - 1) * lanes;  // columns in the last register

  // This tile's columns within its panel.
  const float* panel = args.b + packed_index(0, args.n0, args.b_rows);

  Batch acc[Rows][Vectors];
  JOULE_UNROLL for (int v = 0; v < Vectors; ++v) {
    const Batch start = args.bias ? Batch::load_unaligned(args.bias + args.n0 + v * lanes) : Batch(0.0f);
    JOULE_UNROLL for (int r = 0; r < Rows; ++r) acc[r][v] = start;
  }

  for (int t = 0; t < args.taps; ++t) {
    const float* rows[Rows];
    JOULE_UNROLL for (int r = 0; r < Rows; ++r) rows[r] = a.row(args.m0 + r, t);
    const float* b = panel + static_cast<std::size_t>(a.weight_tap(t)) * args.depth * panel_width;
    for (int k = 0; k < args.depth; ++k) {
      Batch weights[Vectors];
      JOULE_UNROLL for (int v = 0; v < Vectors; ++v) weights[v] = Batch::load_unaligned(b + v * lanes);
      JOULE_UNROLL for (int r = 0; r < Rows; ++r) {
        const Batch value(rows[r][k]);
        JOULE_UNROLL for (int v = 0; v < Vectors; ++v) acc[r][v] = xsimd::fma(value, weights[v], acc[r][v]);
      }
      b += panel_width;
    }
  }

  JOULE_UNROLL for (int r = 0; r < Rows; ++r) {
    float* out = args.c + (args.m0 + r) * args.c_stride + args.n0;
    const float* residual = args.residual ? args.residual + (args.m0 + r) * args.c_stride + args.n0 : nullptr;
    JOULE_UNROLL for (int v = 0; v < Vectors; ++v) {
      const bool partial = Partial && v == Vectors - 1;
      Batch value = acc[r][v];
      if (residual) {
        value += partial ? arch::load_partial<Arch>(residual + v * lanes, static_cast<std::size_t>(last_cols))
                         : Batch::load_unaligned(residual + v * lanes);
      }
      value = Act::apply_batch(value);
      if (partial) {
        arch::store_partial<Arch>(out + v * lanes, value, static_cast<std::size_t>(last_cols));
      } else {
        value.store_unaligned(out + v * lanes);
      }
    }
  }
}

/// Rows of the main tile: two column registers per row, the rest of the register file as
/// accumulators (2 * Rows), keeping two for B and one for the broadcast A value.
template <class Arch>
constexpr int main_rows() {
  return arch::Facts<Arch>::vector_registers == 32 ? 12 : 6;
}

/// C for rows [m_begin, m_end) and columns [n_begin, n_end) (n_begin on a panel boundary). Column
/// tiles are two registers wide (the second partial when fewer columns remain), rows go MainRows at
/// a time, then 4, then 1.
///
/// When B is small it stays in cache while all row blocks pass over it column tile by column tile
/// (rows outside). When B is large (the 7x7 layers' 960x320 or 320x1280), each column tile's panel
/// of B is the part kept in cache while every row block passes over it (columns outside), so B is
/// read from memory once, in order, instead of once per row block.
template <class Arch, Activation Act, int MainRows, class ARows>
void run_block(const ARows& a, std::size_t m_begin, std::size_t m_end, int n_begin, int n_end,
               TileArgs args) {
  const int cols = n_end;
  constexpr int lanes = static_cast<int>(xsimd::batch<float, Arch>::size);
  constexpr int main = MainRows;

  // One column tile at column n over the given rows.
  const auto tile_at = [&]<int Rows>(std::size_t m0, int n) {
    args.m0 = m0;
    args.n0 = n;
    const int remaining = cols - n;
    if (remaining >= 2 * lanes) {
      args.cols = 2 * lanes;
      tile<Arch, Rows, 2, false, Act>(a, args);
    } else if (remaining > lanes) {
      args.cols = remaining;
      tile<Arch, Rows, 2, true, Act>(a, args);
    } else if (remaining == lanes) {
      args.cols = lanes;
      tile<Arch, Rows, 1, false, Act>(a, args);
    } else {
      args.cols = remaining;
      tile<Arch, Rows, 1, true, Act>(a, args);
    }
  };
  const auto rows_at = [&](int n) {
    std::size_t m = m_begin;
    for (; m + main <= m_end; m += main) tile_at.template operator()<main>(m, n);
    for (; m + 4 <= m_end; m += 4) tile_at.template operator()<4>(m, n);
    for (; m < m_end; ++m) tile_at.template operator()<1>(m, n);
  };

  const std::size_t b_bytes = packed_size(args.b_rows, cols) * sizeof(float);
  if (b_bytes > arch::Facts<Arch>::cached_panel_bytes) {
    for (int n = n_begin; n < cols; n += 2 * lanes) rows_at(n);
    return;
  }
  const auto columns_at = [&]<int Rows>(std::size_t m0) {
    for (int n = n_begin; n < cols; n += 2 * lanes) tile_at.template operator()<Rows>(m0, n);
  };
  std::size_t m = m_begin;
  for (; m + main <= m_end; m += main) columns_at.template operator()<main>(m);
  for (; m + 4 <= m_end; m += 4) columns_at.template operator()<4>(m);
  for (; m < m_end; ++m) columns_at.template operator()<1>(m);
}

}  // namespace joule::inline JOULE_TARGET::kernels::gemm
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
