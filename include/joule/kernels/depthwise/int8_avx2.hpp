// AVX2 int8 depthwise convolution, bit-identical to depthwise::reference_row_int8 on the same
// [kernel_h][kernel_w][channels] weights, any kernel, stride, dilation and padding.
//
// 16 channels at a time (then one block of 8 on 128-bit halves, then the rest in the reference's
// scalar loop). Integer sums do not depend on their order, so with the output stage of
// int8/requantize_avx2.hpp the outputs are the reference's bit for bit. Two paths per block:
//
// - Interior pixels, whose every tap lies inside the input row (most of them): the taps under
//   the row are listed once, and each pair of taps is one vpmaddwd: the two taps' int8 inputs
//   widened to int16 and interleaved, times the two taps' weights interleaved the same way, summed
//   in pairs into int32 (|x w| <= 128 x 128, a pair's sum fits easily). The zero point is taken
//   out once, not per tap: sum (x - z) w = sum x w - z sum w, with z sum w computed with the
//   block's weights (same taps). No per-tap border test, half the multiplies of one tap at a time.
// - Border pixels: each tap tested against the input, inputs minus their zero point (in
//   [-255, 255]) times the weights exact in int16 (vpmullw, |product| <= 255 x 128), widened to
//   int32 and summed.
//
// Weights are widened (and paired) once per row and block into stack buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/depthwise/int8_reference.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/int8/requantize_avx2.hpp"

#if JOULE_SIMD && defined(__AVX2__)
#include <immintrin.h>

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::depthwise {

namespace int8_avx2_detail {

inline constexpr int max_taps = 49;  // 7 x 7, as the reference's rows
inline constexpr int max_pairs = (max_taps + 1) / 2;

/// The taps of one output row that fall on input rows (not the padding): for tap i, the input
/// row shifted by its column offset (add the output pixel's first column times the channels) and
/// its index in the weights.
struct RowTaps {
  const std::int8_t* input[max_taps];
  int weight[max_taps];
  int count = 0;

  RowTaps(const ConvGeometry& g, const std::int8_t* const* rows) {
    const std::size_t stride = static_cast<std::size_t>(g.in_channels);
    for (int ky = 0; ky < g.kernel_height; ++ky) {
      if (rows[ky] == nullptr) continue;
      for (int kx = 0; kx < g.kernel_width; ++kx) {
        input[count] = rows[ky] + static_cast<std::size_t>(kx * g.dilation_width) * stride;
        weight[count] = ky * g.kernel_width + kx;
        ++count;
      }
    }
  }
};

/// Output columns [first, last) whose every tap lies inside the input row.
struct Interior {
  int first = 0, last = 0;

  explicit Interior(const ConvGeometry& g) {
    const int reach = (g.kernel_width - 1) * g.dilation_width;
    // ox * stride - pad_left >= 0 and ox * stride - pad_left + reach <= in_width - 1.
    first = (g.pad_left + g.stride_width - 1) / g.stride_width;
    const int room = g.in_width - 1 - reach + g.pad_left;
    last = room < 0 ? 0 : room / g.stride_width + 1;
    if (first > g.out_width) first = g.out_width;
    if (last > g.out_width) last = g.out_width;
    if (last < first) last = first;
  }
};

}  // namespace int8_avx2_detail

/// One output row from the kernel_height input rows under it (null over the padding), as
/// reference_row_int8.
// Not inlined: one copy serves every layer, whatever its shape.
[[gnu::noinline]] inline void avx2_row_int8(const ConvGeometry& g, const std::int8_t* const* rows,
                                            std::int32_t input_zero_point,
                                            const std::int8_t* weights, const Int8Output& out_stage,
                                            std::int8_t* out_row) {
  using namespace int8_avx2_detail;
  constexpr int block = 16;
  const int taps = g.kernel_height * g.kernel_width;
  // The products fit int16 only for an int8 zero point (every int8 tensor's).
  if (input_zero_point < -128 || input_zero_point > 127 || taps > max_taps) {
    reference_row_int8(g, rows, input_zero_point, weights, out_stage, out_row);
    return;
  }
  const int channels = g.in_channels;
  const std::size_t stride = static_cast<std::size_t>(channels);
  const int whole = channels / block * block;
  const __m256i zero_point = _mm256_set1_epi16(static_cast<std::int16_t>(input_zero_point));
  const avx2::Int8OutputConstants constants(out_stage);
  const RowTaps row_taps(g, rows);
  const Interior interior(g);
  const int pairs = (row_taps.count + 1) / 2;
  const auto in_at = [&](const std::int8_t* row, int ox) {  // the tap's input for output ox
    return row + static_cast<std::ptrdiff_t>(ox * g.stride_width - g.pad_left) *
                     static_cast<std::ptrdiff_t>(stride);
  };
  alignas(32) std::int16_t widened[max_taps * block];
  alignas(32) std::int16_t paired[max_pairs * 2 * block];  // [pair][low, high][16]
  const __m256i zero = _mm256_setzero_si256();

  for (int c = 0; c < whole; c += block) {
    const auto load16 = [&](const std::int8_t* p) {
      return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + c)));
    };
    for (int t = 0; t < taps; ++t)
      _mm256_store_si256(reinterpret_cast<__m256i*>(widened + t * block),
                         load16(weights + t * stride));
    // Pairs of the row's taps' weights, interleaved as vpunpck{l,h}wd interleaves the inputs (the
    // odd last tap paired with a zero weight), and z times their sum: the interior's correction.
    __m256i correction_low = zero, correction_high = zero;
    for (int p = 0; p < pairs; ++p) {
      const int a = row_taps.weight[2 * p];
      const __m256i wa = _mm256_load_si256(reinterpret_cast<const __m256i*>(widened + a * block));
      const __m256i wb = 2 * p + 1 < row_taps.count
                             ? _mm256_load_si256(reinterpret_cast<const __m256i*>(
                                   widened + row_taps.weight[2 * p + 1] * block))
                             : zero;
      const __m256i low = _mm256_unpacklo_epi16(wa, wb), high = _mm256_unpackhi_epi16(wa, wb);
      _mm256_store_si256(reinterpret_cast<__m256i*>(paired + (2 * p) * block), low);
      _mm256_store_si256(reinterpret_cast<__m256i*>(paired + (2 * p + 1) * block), high);
      correction_low = _mm256_add_epi32(correction_low, _mm256_madd_epi16(zero_point, low));
      correction_high = _mm256_add_epi32(correction_high, _mm256_madd_epi16(zero_point, high));
    }
    const auto store = [&](__m256i sum_low, __m256i sum_high, int ox) {
      avx2::store_int8_16(sum_low, sum_high, out_stage.bias ? out_stage.bias + c : nullptr,
                          out_stage.multiplier + c, out_stage, constants, 0, block,
                          out_row + static_cast<std::size_t>(ox) * stride + c);
    };
    const auto border = [&](int ox) {
      __m256i low = zero, high = zero;
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (ix < 0 || ix >= g.in_width) continue;
          const __m256i x = _mm256_sub_epi16(
              load16(rows[ky] + static_cast<std::size_t>(ix) * stride), zero_point);
          const __m256i product =
              _mm256_mullo_epi16(x, _mm256_load_si256(reinterpret_cast<const __m256i*>(
                                        widened + (ky * g.kernel_width + kx) * block)));
          low = _mm256_add_epi32(low, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(product)));
          high =
              _mm256_add_epi32(high, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(product, 1)));
        }
      }
      store(low, high, ox);
    };
    for (int ox = 0; ox < interior.first; ++ox) border(ox);
    for (int ox = interior.first; ox < interior.last; ++ox) {
      // Channels 0-3 and 8-11 in `low`, 4-7 and 12-15 in `high`, as the unpacks leave them.
      __m256i low = _mm256_sub_epi32(zero, correction_low);
      __m256i high = _mm256_sub_epi32(zero, correction_high);
      for (int p = 0; p < pairs; ++p) {
        const __m256i xa = load16(in_at(row_taps.input[2 * p], ox));
        const __m256i xb =
            2 * p + 1 < row_taps.count ? load16(in_at(row_taps.input[2 * p + 1], ox)) : xa;
        low = _mm256_add_epi32(
            low,
            _mm256_madd_epi16(
                _mm256_unpacklo_epi16(xa, xb),
                _mm256_load_si256(reinterpret_cast<const __m256i*>(paired + (2 * p) * block))));
        high = _mm256_add_epi32(
            high,
            _mm256_madd_epi16(
                _mm256_unpackhi_epi16(xa, xb),
                _mm256_load_si256(reinterpret_cast<const __m256i*>(paired + (2 * p + 1) * block))));
      }
      store(_mm256_permute2x128_si256(low, high, 0x20), _mm256_permute2x128_si256(low, high, 0x31),
            ox);
    }
    for (int ox = interior.last; ox < g.out_width; ++ox) border(ox);
  }

  int done = whole;
  if (channels - whole >= 8) {  // one block of 8
    const int c = whole;
    const __m128i zero_point8 = _mm256_castsi256_si128(zero_point);
    const __m128i zero8 = _mm_setzero_si128();
    const auto load8 = [&](const std::int8_t* p) {
      return _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + c)));
    };
    for (int t = 0; t < taps; ++t)
      _mm_store_si128(reinterpret_cast<__m128i*>(widened + t * 8), load8(weights + t * stride));
    __m128i correction_low = zero8, correction_high = zero8;
    for (int p = 0; p < pairs; ++p) {
      const __m128i wa =
          _mm_load_si128(reinterpret_cast<const __m128i*>(widened + row_taps.weight[2 * p] * 8));
      const __m128i wb = 2 * p + 1 < row_taps.count
                             ? _mm_load_si128(reinterpret_cast<const __m128i*>(
                                   widened + row_taps.weight[2 * p + 1] * 8))
                             : zero8;
      const __m128i low = _mm_unpacklo_epi16(wa, wb), high = _mm_unpackhi_epi16(wa, wb);
      _mm_store_si128(reinterpret_cast<__m128i*>(paired + (2 * p) * 8), low);
      _mm_store_si128(reinterpret_cast<__m128i*>(paired + (2 * p + 1) * 8), high);
      correction_low = _mm_add_epi32(correction_low, _mm_madd_epi16(zero_point8, low));
      correction_high = _mm_add_epi32(correction_high, _mm_madd_epi16(zero_point8, high));
    }
    const auto store = [&](__m256i sum, int ox) {
      avx2::store_int8_8(sum, out_stage.bias ? out_stage.bias + c : nullptr,
                         out_stage.multiplier + c, out_stage, constants,
                         out_row + static_cast<std::size_t>(ox) * stride + c);
    };
    const auto border = [&](int ox) {
      __m256i sum = _mm256_setzero_si256();
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (ix < 0 || ix >= g.in_width) continue;
          const __m128i x =
              _mm_sub_epi16(load8(rows[ky] + static_cast<std::size_t>(ix) * stride), zero_point8);
          const __m128i product = _mm_mullo_epi16(
              x, _mm_load_si128(
                     reinterpret_cast<const __m128i*>(widened + (ky * g.kernel_width + kx) * 8)));
          sum = _mm256_add_epi32(sum, _mm256_cvtepi16_epi32(product));
        }
      }
      store(sum, ox);
    };
    for (int ox = 0; ox < interior.first; ++ox) border(ox);
    for (int ox = interior.first; ox < interior.last; ++ox) {
      __m128i low = _mm_sub_epi32(zero8, correction_low);    // channels 0-3
      __m128i high = _mm_sub_epi32(zero8, correction_high);  // channels 4-7
      for (int p = 0; p < pairs; ++p) {
        const __m128i xa = load8(in_at(row_taps.input[2 * p], ox));
        const __m128i xb =
            2 * p + 1 < row_taps.count ? load8(in_at(row_taps.input[2 * p + 1], ox)) : xa;
        low = _mm_add_epi32(
            low,
            _mm_madd_epi16(_mm_unpacklo_epi16(xa, xb),
                           _mm_load_si128(reinterpret_cast<const __m128i*>(paired + (2 * p) * 8))));
        high = _mm_add_epi32(
            high, _mm_madd_epi16(
                      _mm_unpackhi_epi16(xa, xb),
                      _mm_load_si128(reinterpret_cast<const __m128i*>(paired + (2 * p + 1) * 8))));
      }
      store(_mm256_set_m128i(high, low), ox);
    }
    for (int ox = interior.last; ox < g.out_width; ++ox) border(ox);
    done += 8;
  }
  if (done == channels) return;
  for (int ox = 0; ox < g.out_width; ++ox) {  // the last channels, as the reference
    for (int c = done; c < channels; ++c) {
      std::int32_t sum = 0;
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (ix < 0 || ix >= g.in_width) continue;
          sum += (static_cast<std::int32_t>(rows[ky][static_cast<std::size_t>(ix) * stride + c]) -
                  input_zero_point) *
                 static_cast<std::int32_t>(
                     weights[static_cast<std::size_t>(ky * g.kernel_width + kx) * stride + c]);
        }
      }
      out_row[static_cast<std::size_t>(ox) * stride + c] = out_stage(sum, c);
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::depthwise

JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD && __AVX2__
