// SIMD sparse pointwise (1x1) convolution on weights in compressed rows (sparse_matrix.hpp),
// vectorized over pixels as in Elsen et al., "Fast Sparse ConvNets" (CVPR 2020).
//
// Why over pixels: a pruned row has its nonzeros at scattered input channels, so vectors along
// channels (the dense kernels' way in NHWC) would gather. Along pixels, one nonzero (o, i, w) is a
// broadcast of w and a multiply-add with input channel i of a run of pixels, all of it contiguous
// once the run is stored channel-major. So a block of pixels (Vectors registers of them) is
// transposed into a stack buffer [input channel][pixel] once; each output channel then walks its
// nonzeros, broadcasting the value and multiply-adding the buffer's row into the block's
// accumulators (the load folds into the FMA: Vectors FMAs, Vectors + 2 loads per nonzero). Blocks
// narrower than fma_chains registers walk that many output rows in step, so that enough
// independent sums are in flight to hide the FMA latency. Groups of `lanes` output channels are
// collected in a small tile and transposed back, and bias, residual and activation are applied on
// the way out to NHWC. Transposes are in registers (transpose.hpp).
//
// The buffer holds transposed_bytes (16 KiB, half an L1 data cache of the x86 and Arm cores this
// library is measured on), so layers with more input channels than it holds are summed chunk by
// chunk, the partial sums kept in the output between chunks; `output` must therefore not overlap
// `input` or `residual`. Each output still starts from its bias and adds its products in
// increasing input-channel order, as the reference does; pixels are independent of the block they
// fall in, so splitting the pixels or the channels changes no bit. Pixels left after the whole
// blocks go in blocks half as wide, down to one register, the last one partial.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/sparse/sparse_matrix.hpp"
#include "joule/kernels/sparse/transpose.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::sparse {

namespace detail {

/// The stack buffer of transposed inputs.
inline constexpr std::size_t transposed_bytes = 16 * 1024;

template <class A, int Vectors>
struct Block {
  static constexpr int lanes = static_cast<int>(xsimd::batch<float, A>::size);
  static constexpr int pixels = Vectors * lanes;
  /// Input channels per chunk.
  static constexpr int depth = static_cast<int>(transposed_bytes / sizeof(float)) / pixels;
  static_assert(depth >= 1, "joule: a sparse pixel block wider than its buffer");
};

template <class A>
inline xsimd::batch<float, A> load_row(const float* p, int width) {
  if (width == static_cast<int>(xsimd::batch<float, A>::size))
    return xsimd::batch<float, A>::load_unaligned(p);
  return arch::load_partial<A>(p, static_cast<std::size_t>(width));
}

template <class A>
inline void store_row(float* p, const xsimd::batch<float, A>& value, int width) {
  if (width == static_cast<int>(xsimd::batch<float, A>::size)) {
    value.store_unaligned(p);
  } else {
    arch::store_partial<A>(p, value, static_cast<std::size_t>(width));
  }
}

/// `count` pixels (count <= Block::pixels) of `rows`, an NHWC array of `stride` channels,
/// channels [c0, c0 + width) into `out`: tile[c][p] at out + c * Block::pixels + p; missing
/// pixels read as zero.
template <class A, int Vectors>
void transpose_in(const float* rows, std::size_t stride, int count, int c0, int width, float* out) {
  using B = xsimd::batch<float, A>;
  constexpr int lanes = Block<A, Vectors>::lanes;
  JOULE_UNROLL for (int j = 0; j < Vectors; ++j) {
    Tile<A> tile;
    JOULE_UNROLL for (int r = 0; r < lanes; ++r) {
      const int pixel = j * lanes + r;
      tile[r] = pixel < count
                    ? load_row<A>(rows + static_cast<std::size_t>(pixel) * stride + c0, width)
                    : B(0.0f);
    }
    transpose<A>(tile);
    for (int c = 0; c < width; ++c)
      tile[c].store_aligned(out + c * Block<A, Vectors>::pixels + j * lanes);
  }
}

/// Independent multiply-add chains that keep the FMA units busy: 4 cycles of latency times 2 FMAs
/// a cycle on Zen 3 and Skylake (Agner Fog, instruction tables). A block of fewer registers than
/// that walks as many output rows at once.
inline constexpr int fma_chains = 8;

/// The sums of output channels [o, o + Rows) over the chunk's input channels [c_begin, c_end) into
/// sums ([Rows][Block::pixels]), starting from the bias on the first chunk and from `sums`
/// after it. The rows' nonzeros are walked in step while all have some, then one row at a time;
/// each sum still takes its products in increasing input-channel order.
template <class A, int Vectors, int Rows>
inline void accumulate(const SparseMatrixView& w, int o, bool first, bool chunked, int c_begin,
                       int c_end, const float* bias, const float* transposed, float* sums) {
  using B = xsimd::batch<float, A>;
  constexpr int lanes = Block<A, Vectors>::lanes, pixels = Block<A, Vectors>::pixels;
  B acc[Rows][Vectors];
  const std::uint16_t* columns[Rows];
  const float* values[Rows];
  int counts[Rows];
  int common = 0;
  JOULE_UNROLL for (int i = 0; i < Rows; ++i) {
    const std::uint16_t* begin = w.columns + w.offsets[o + i];
    const std::uint16_t* end = w.columns + w.offsets[o + i + 1];
    if (chunked) {
      begin = std::lower_bound(begin, end, static_cast<std::uint16_t>(c_begin));
      end = std::lower_bound(begin, end, static_cast<std::uint16_t>(c_end));
    }
    columns[i] = begin;
    values[i] = w.values + (begin - w.columns);
    counts[i] = static_cast<int>(end - begin);
    common = i == 0 ? counts[i] : std::min(common, counts[i]);
    const B start(bias ? bias[o + i] : 0.0f);
    JOULE_UNROLL for (int j = 0; j < Vectors; ++j) acc[i][j] =
        first ? start : B::load_aligned(sums + i * pixels + j * lanes);
  }
  const auto step = [&](int i, int k) {
    const B value(values[i][k]);
    const float* x = transposed + (static_cast<int>(columns[i][k]) - c_begin) * pixels;
    JOULE_UNROLL for (int j = 0; j < Vectors; ++j) acc[i][j] =
        xsimd::fma(B::load_aligned(x + j * lanes), value, acc[i][j]);
  };
  for (int k = 0; k < common; ++k) {
    JOULE_UNROLL for (int i = 0; i < Rows; ++i) step(i, k);
  }
  JOULE_UNROLL for (int i = 0; i < Rows; ++i) {
    for (int k = common; k < counts[i]; ++k) step(i, k);
    JOULE_UNROLL for (int j = 0; j < Vectors; ++j) acc[i][j].store_aligned(sums + i * pixels +
                                                                           j * lanes);
  }
}

/// Output pixels [p0, p0 + count) (count <= Block::pixels) and channels [first_channel,
/// last_channel).
template <class A, Activation Act, int Vectors>
void block(std::size_t p0, int count, int first_channel, int last_channel,
           const SparseMatrixView& w, const float* input, const float* bias, const float* residual,
           float* output) {
  using B = xsimd::batch<float, A>;
  using Shape = Block<A, Vectors>;
  constexpr int lanes = Shape::lanes, pixels = Shape::pixels, depth = Shape::depth;
  constexpr int rows = std::max(1, std::min(lanes, fma_chains / Vectors));
  const std::size_t in_channels = static_cast<std::size_t>(w.cols);
  const std::size_t out_channels = static_cast<std::size_t>(w.rows);
  const float* in = input + p0 * in_channels;
  float* out = output + p0 * out_channels;
  const float* res = residual ? residual + p0 * out_channels : nullptr;
  const int chunks = w.cols <= depth ? 1 : (w.cols + depth - 1) / depth;

  alignas(64) float transposed[depth * pixels];
  alignas(64) float sums[lanes * pixels];  // lanes output channels x the block's pixels
  for (int chunk = 0; chunk < chunks; ++chunk) {
    const int c_begin = chunk * depth;
    const int c_end = std::min(w.cols, c_begin + depth);
    const bool first = chunk == 0, last = chunk == chunks - 1;
    for (int c0 = c_begin; c0 < c_end; c0 += lanes)
      transpose_in<A, Vectors>(in, in_channels, count, c0, std::min(lanes, c_end - c0),
                               transposed + (c0 - c_begin) * pixels);

    for (int o0 = first_channel; o0 < last_channel; o0 += lanes) {
      const int group = std::min(lanes, last_channel - o0);
      // After the first chunk, the sums so far come back from the output.
      if (!first) transpose_in<A, Vectors>(out, out_channels, count, o0, group, sums);
      for (int r = 0; r < group; r += rows) {
        if (r + rows <= group) {
          accumulate<A, Vectors, rows>(w, o0 + r, first, chunks > 1, c_begin, c_end, bias,
                                       transposed, sums + r * pixels);
        } else {
          for (int q = r; q < group; ++q)
            accumulate<A, Vectors, 1>(w, o0 + q, first, chunks > 1, c_begin, c_end, bias,
                                      transposed, sums + q * pixels);
        }
      }
      // Back to NHWC, lanes pixels at a time; the finished sums take residual and activation.
      JOULE_UNROLL for (int j = 0; j < Vectors; ++j) {
        if (j * lanes >= count) break;
        Tile<A> tile;
        JOULE_UNROLL for (int r = 0; r < lanes; ++r) tile[r] =
            r < group ? B::load_aligned(sums + r * pixels + j * lanes) : B(0.0f);
        transpose<A>(tile);
        const int n = std::min(lanes, count - j * lanes);
        for (int q = 0; q < n; ++q) {
          const std::size_t at =
              static_cast<std::size_t>(j * lanes + q) * out_channels + static_cast<std::size_t>(o0);
          B value = tile[q];
          if (last) {
            if (res) value += load_row<A>(res + at, group);
            value = Act::apply_batch(value);
          }
          store_row<A>(out + at, value, group);
        }
      }
    }
  }
}

/// Whole blocks of Vectors registers of pixels from `pixel` on, then blocks half as wide; the last
/// pixels (fewer than one register) in one partial block.
template <class A, Activation Act, int Vectors>
void blocks(std::size_t pixel, std::size_t last, int first_channel, int last_channel,
            const SparseMatrixView& w, const float* input, const float* bias, const float* residual,
            float* output) {
  constexpr std::size_t width = static_cast<std::size_t>(Block<A, Vectors>::pixels);
  for (; pixel + width <= last; pixel += width)
    block<A, Act, Vectors>(pixel, static_cast<int>(width), first_channel, last_channel, w, input,
                           bias, residual, output);
  if constexpr (Vectors > 1) {
    blocks<A, Act, Vectors / 2>(pixel, last, first_channel, last_channel, w, input, bias, residual,
                                output);
  } else if (pixel < last) {
    block<A, Act, 1>(pixel, static_cast<int>(last - pixel), first_channel, last_channel, w, input,
                     bias, residual, output);
  }
}

}  // namespace detail

/// Output pixels [first, last) and channels [first_channel, last_channel) of
/// out = Act(in * W^T + bias + residual), W in compressed rows; bias and residual may be null;
/// output must not overlap input or residual. Vectors: registers of pixels per block (a power of
/// two).
template <class Arch, Activation Act, int Vectors>
void simd(std::size_t first, std::size_t last, int first_channel, int last_channel,
          const SparseMatrixView& weights, const float* input, const float* bias,
          const float* residual, float* output) {
  static_assert(Vectors >= 1 && (Vectors & (Vectors - 1)) == 0,
                "joule: sparse blocks of a power of two registers");
  if (first_channel >= last_channel) return;
  detail::blocks<Arch, Act, Vectors>(first, last, first_channel, last_channel, weights, input, bias,
                                     residual, output);
}

}  // namespace joule::inline JOULE_TARGET::kernels::sparse

JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
