// AVX2 int8 pointwise (1x1) convolution, bit-identical to pointwise::reference_int8 on the same
// packed weights (panels of 32 columns, [in][32] int8).
//
// The products are exact: inputs minus their zero point (in [-255, 255]) and weights are widened
// to int16, and vpmaddwd multiplies pairs of input channels by pairs of weights into int32 (no
// saturating vpmaddubsw). Integer sums do not depend on their order, so the sums, and with the
// output stage of int8/requantize_avx2.hpp the outputs, are the reference's bit for bit.
//
// Tile: 6 pixels x 16 output channels, 12 int32 accumulators, two registers of weights (16
// columns x a pair of input rows, interleaved from the panel's two rows as they are loaded), one
// broadcast input pair and one product: AVX2's 16 registers. The 6 pixels' inputs are widened
// once into a stack buffer and reused by every column tile (for more than 1024 input channels,
// chunk by chunk for each tile), so that the broadcast is a plain load.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/int8/requantize_avx2.hpp"
#include "joule/kernels/pointwise/int8_reference.hpp"

#if JOULE_SIMD && defined(__AVX2__)
#include <immintrin.h>

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::pointwise {

namespace int8_avx2_detail {

inline constexpr int tile_rows = 6;
inline constexpr int tile_cols = 16;
/// Input channels widened at a time: 6 x 1024 int16 (12 KiB) on the stack.
inline constexpr int depth_chunk = 1024;
static_assert(depth_chunk % 2 == 0, "chunks must not split a pair of input channels");

/// out[i] = in[i] - zero_point for i < count, and a 0 after an odd count (the pair of the last
/// input channel, whose weight is taken as 0).
inline void widen(const std::int8_t* in, int count, __m256i zero_point, std::int16_t* out) {
  int i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m256i x =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_sub_epi16(x, zero_point));
  }
  const auto z = static_cast<std::int16_t>(_mm256_extract_epi16(zero_point, 0));
  for (; i < count; ++i) out[i] = static_cast<std::int16_t>(in[i] - z);
  if (count % 2 != 0) out[count] = 0;
}

/// acc[p] += the products of one pair of input rows: w0, w1 hold 16 columns x the pair.
template <int Rows>
inline void multiply_add(__m256i w0, __m256i w1, const std::int16_t* x, std::size_t x_stride,
                         __m256i (&acc)[Rows][2]) {
  JOULE_UNROLL
  for (int p = 0; p < Rows; ++p) {
    std::int32_t pair;
    std::memcpy(&pair, x + p * x_stride, sizeof pair);
    const __m256i b = _mm256_set1_epi32(pair);
    acc[p][0] = _mm256_add_epi32(acc[p][0], _mm256_madd_epi16(w0, b));
    acc[p][1] = _mm256_add_epi32(acc[p][1], _mm256_madd_epi16(w1, b));
  }
}

/// acc += x[Rows][0, depth) times the weight rows at w (row k at w + 32 k, 16 columns).
template <int Rows>
inline void accumulate(const std::int16_t* x, std::size_t x_stride, int depth, const std::int8_t* w,
                       __m256i (&acc)[Rows][2]) {
  int k = 0;
  for (; k + 2 <= depth; k += 2) {
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k * gemm::panel_width));
    const __m128i r1 =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + (k + 1) * gemm::panel_width));
    multiply_add<Rows>(_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1)),
                       _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1)), x + k, x_stride, acc);
  }
  if (k < depth) {  // the last row of an odd depth, paired with zeros
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k * gemm::panel_width));
    const __m128i zero = _mm_setzero_si128();
    multiply_add<Rows>(_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, zero)),
                       _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, zero)), x + k, x_stride, acc);
  }
}

struct Args {
  int first_channel, last_channel, in_channels, out_channels;
  const std::int8_t* weights;
  const Int8Output* stage;
  __m256i zero_point;  // the input's, in every int16
};

/// Pixels [0, Rows) of `in`, out; channels [first_channel, last_channel).
template <int Rows>
void row_block(const std::int8_t* in, std::int8_t* out, const Args& a) {
  alignas(32) std::int16_t widened[tile_rows * depth_chunk];
  const bool one_chunk = a.in_channels <= depth_chunk;
  // Rows of the buffer a whole number of registers apart, as close as the depth allows.
  const std::size_t x_stride =
      one_chunk ? (static_cast<std::size_t>(a.in_channels) + 15) / 16 * 16 : depth_chunk;
  const auto widen_rows = [&](int first, int count) {
    for (int p = 0; p < Rows; ++p)
      widen(in + static_cast<std::size_t>(p) * a.in_channels + first, count, a.zero_point,
            widened + p * x_stride);
  };
  if (one_chunk) widen_rows(0, a.in_channels);
  const Int8Output& stage = *a.stage;
  const avx2::Int8OutputConstants constants(stage);
  for (int col = a.first_channel / tile_cols * tile_cols; col < a.last_channel; col += tile_cols) {
    const std::int8_t* w =
        a.weights +
        static_cast<std::size_t>(col / gemm::panel_width) * a.in_channels * gemm::panel_width +
        col % gemm::panel_width;
    __m256i acc[Rows][2];
    JOULE_UNROLL
    for (int p = 0; p < Rows; ++p) acc[p][0] = acc[p][1] = _mm256_setzero_si256();
    for (int first = 0; first < a.in_channels; first += depth_chunk) {
      const int count = std::min(depth_chunk, a.in_channels - first);
      if (!one_chunk) widen_rows(first, count);
      accumulate<Rows>(widened, x_stride, count,
                       w + static_cast<std::size_t>(first) * gemm::panel_width, acc);
    }
    // A tile over the block's edges reads its bias and multipliers from copies, zeros outside.
    const int begin = std::max(a.first_channel - col, 0);
    const int end = std::min(a.last_channel - col, tile_cols);
    const std::int32_t* bias = stage.bias ? stage.bias + col : nullptr;
    const float* multiplier = stage.multiplier + col;
    alignas(32) std::int32_t edge_bias[tile_cols] = {};
    alignas(32) float edge_multiplier[tile_cols] = {};
    if (begin != 0 || end != tile_cols) {
      for (int j = begin; j < end; ++j) {
        if (bias) edge_bias[j] = bias[j];
        edge_multiplier[j] = multiplier[j];
      }
      bias = bias ? edge_bias : nullptr;
      multiplier = edge_multiplier;
    }
    JOULE_UNROLL
    for (int p = 0; p < Rows; ++p)
      avx2::store_int8_16(acc[p][0], acc[p][1], bias, multiplier, stage, constants, begin, end,
                          out + static_cast<std::size_t>(p) * a.out_channels + col);
  }
}

}  // namespace int8_avx2_detail

/// Pixels [first, last), output channels [first_channel, last_channel), as reference_int8.
// Not inlined: one copy serves every layer, whatever its shape.
[[gnu::noinline]] inline void avx2_int8(std::size_t first, std::size_t last, int first_channel,
                                        int last_channel, int in_channels, int out_channels,
                                        const std::int8_t* input, std::int32_t input_zero_point,
                                        const std::int8_t* weights, const Int8Output& out_stage,
                                        std::int8_t* output) {
  namespace d = int8_avx2_detail;
  // x - zero point must fit int16 for every int8 x; int8 tensors' zero points always do.
  if (input_zero_point < -32640 || input_zero_point > 32640) {
    reference_int8(first, last, first_channel, last_channel, in_channels, out_channels, input,
                   input_zero_point, weights, out_stage, output);
    return;
  }
  const d::Args args{first_channel,
                     last_channel,
                     in_channels,
                     out_channels,
                     weights,
                     &out_stage,
                     _mm256_set1_epi16(static_cast<std::int16_t>(input_zero_point))};
  for (std::size_t p = first; p < last; p += d::tile_rows) {
    const std::int8_t* in = input + p * in_channels;
    std::int8_t* out = output + p * out_channels;
    switch (std::min<std::size_t>(last - p, d::tile_rows)) {
      case 6:
        d::row_block<6>(in, out, args);
        break;
      case 5:
        d::row_block<5>(in, out, args);
        break;
      case 4:
        d::row_block<4>(in, out, args);
        break;
      case 3:
        d::row_block<3>(in, out, args);
        break;
      case 2:
        d::row_block<2>(in, out, args);
        break;
      default:
        d::row_block<1>(in, out, args);
        break;
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::pointwise

JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD && __AVX2__
