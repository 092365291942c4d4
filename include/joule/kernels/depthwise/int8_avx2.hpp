// AVX2 int8 depthwise convolution, bit-identical to depthwise::reference_row_int8 on the same
// [kernel_h][kernel_w][channels] weights, any kernel, stride, dilation and padding.
//
// 16 channels at a time: inputs minus their zero point (in [-255, 255]) times int8 weights fit
// int16 exactly (|product| <= 255 x 128), so vpmullw gives each product, widened to int32 and
// summed. Integer sums do not depend on their order, so with the output stage of
// int8/requantize_avx2.hpp the outputs are the reference's bit for bit. A block's weights are
// widened once per row into a stack buffer. Eight channels left after the blocks of 16 (layers of
// 8, 24, 40 channels: small networks' first blocks, where most of the pixels are) take one block
// of 8 on 128-bit halves; only the last channels past a multiple of 8 take the scalar loop.
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

/// One output row from the kernel_height input rows under it (null over the padding), as
/// reference_row_int8.
// Not inlined: one copy serves every layer, whatever its shape.
[[gnu::noinline]] inline void avx2_row_int8(const ConvGeometry& g, const std::int8_t* const* rows,
                                            std::int32_t input_zero_point,
                                            const std::int8_t* weights, const Int8Output& out_stage,
                                            std::int8_t* out_row) {
  constexpr int block = 16;
  constexpr int max_taps = 49;  // 7 x 7, as the reference's rows
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
  alignas(32) std::int16_t widened[max_taps * block];
  for (int c = 0; c < whole; c += block) {
    for (int t = 0; t < taps; ++t)
      _mm256_store_si256(reinterpret_cast<__m256i*>(widened + t * block),
                         _mm256_cvtepi8_epi16(_mm_loadu_si128(
                             reinterpret_cast<const __m128i*>(weights + t * stride + c))));
    for (int ox = 0; ox < g.out_width; ++ox) {
      __m256i low = _mm256_setzero_si256(), high = _mm256_setzero_si256();
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (ix < 0 || ix >= g.in_width) continue;
          const __m256i x = _mm256_sub_epi16(
              _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
                  rows[ky] + static_cast<std::size_t>(ix) * stride + c))),
              zero_point);
          const __m256i product =
              _mm256_mullo_epi16(x, _mm256_load_si256(reinterpret_cast<const __m256i*>(
                                        widened + (ky * g.kernel_width + kx) * block)));
          low = _mm256_add_epi32(low, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(product)));
          high =
              _mm256_add_epi32(high, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(product, 1)));
        }
      }
      avx2::store_int8_16(low, high, out_stage.bias ? out_stage.bias + c : nullptr,
                          out_stage.multiplier + c, out_stage, constants, 0, block,
                          out_row + static_cast<std::size_t>(ox) * stride + c);
    }
  }
  int done = whole;
  if (channels - whole >= 8) {  // one block of 8
    const int c = whole;
    const __m128i zero_point8 = _mm256_castsi256_si128(zero_point);
    for (int t = 0; t < taps; ++t)
      _mm_store_si128(reinterpret_cast<__m128i*>(widened + t * 8),
                      _mm_cvtepi8_epi16(_mm_loadl_epi64(
                          reinterpret_cast<const __m128i*>(weights + t * stride + c))));
    for (int ox = 0; ox < g.out_width; ++ox) {
      __m256i sum = _mm256_setzero_si256();
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < g.kernel_width; ++kx) {
          const int ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
          if (ix < 0 || ix >= g.in_width) continue;
          const __m128i x =
              _mm_sub_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(
                                rows[ky] + static_cast<std::size_t>(ix) * stride + c))),
                            zero_point8);
          const __m128i product = _mm_mullo_epi16(
              x, _mm_load_si128(
                     reinterpret_cast<const __m128i*>(widened + (ky * g.kernel_width + kx) * 8)));
          sum = _mm256_add_epi32(sum, _mm256_cvtepi16_epi32(product));
        }
      }
      avx2::store_int8_8(sum, out_stage.bias ? out_stage.bias + c : nullptr,
                         out_stage.multiplier + c, out_stage, constants,
                         out_row + static_cast<std::size_t>(ox) * stride + c);
    }
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
