// The int8 output stage (int8/requantize.hpp) on 16 channels at once with AVX2, giving the same
// bits as Int8Output: the same IEEE operations in the same order (int32 to float, multiply, clamp
// to [low - zero point, high - zero point], add and subtract 1.5 * 2^23, to int32, add the zero
// point), each an intrinsic, so nothing can be fused into an FMA or kept wider. The clamp is
// min(highest, x) then max(x, lowest): as the scalar ternaries, a NaN (an infinite multiplier
// times 0) becomes lowest; the two only differ on the sign of a zero, which the rounding add
// erases. The int8 narrowing saturates, which changes nothing: [low, high] lies in [-128, 127].
#pragma once

#include <cstdint>
#include <cstring>

#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/int8/requantize.hpp"

#if JOULE_SIMD && defined(__AVX2__)
#include <immintrin.h>

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::avx2 {

/// Int8Output's constants in registers, made once per tile of columns.
struct Int8OutputConstants {
  __m256 lowest, highest, magic;
  __m256i zero_point;

  explicit Int8OutputConstants(const Int8Output& s)
      : lowest(_mm256_set1_ps(static_cast<float>(s.low - s.zero_point))),
        highest(_mm256_set1_ps(static_cast<float>(s.high - s.zero_point))),
        magic(_mm256_set1_ps(12582912.0f)),  // 1.5 * 2^23, as round_half_even
        zero_point(_mm256_set1_epi32(s.zero_point)) {}
};

/// requantize(sum + bias, multiplier, ...) of eight channels; bias may be null.
inline __m256i requantize8(__m256i sum, const std::int32_t* bias, const float* multiplier,
                           const Int8OutputConstants& c) {
  if (bias) sum = _mm256_add_epi32(sum, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias)));
  __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), _mm256_loadu_ps(multiplier));
  x = _mm256_min_ps(c.highest, x);
  x = _mm256_max_ps(x, c.lowest);
  x = _mm256_sub_ps(_mm256_add_ps(x, c.magic), c.magic);
  return _mm256_add_epi32(_mm256_cvttps_epi32(x), c.zero_point);
}

/// The 16 int8 outputs of two registers of sums (channels 0-7 and 8-15 from `bias` and
/// `multiplier`), the table applied when there is one, stored to out[begin, end).
inline void store_int8_16(__m256i sum_low, __m256i sum_high, const std::int32_t* bias,
                          const float* multiplier, const Int8Output& stage,
                          const Int8OutputConstants& c, int begin, int end, std::int8_t* out) {
  const __m256i q_low = requantize8(sum_low, bias, multiplier, c);
  const __m256i q_high = requantize8(sum_high, bias ? bias + 8 : nullptr, multiplier + 8, c);
  // packs works within 128-bit lanes: channels 0-3 8-11 4-7 12-15, put back in order.
  const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(q_low, q_high), 0xD8);
  const __m128i bytes =
      _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
  if (!stage.table && begin == 0 && end == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
    return;
  }
  alignas(16) std::int8_t q[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(q), bytes);
  if (stage.table) {
    for (int j = begin; j < end; ++j) out[j] = stage.table[q[j] + 128];
  } else {
    std::memcpy(out + begin, q + begin, static_cast<std::size_t>(end - begin));
  }
}

/// The 8 int8 outputs of one register of sums (channels 0-7 from `bias` and `multiplier`), the
/// table applied when there is one, stored to out[0, 8).
inline void store_int8_8(__m256i sum, const std::int32_t* bias, const float* multiplier,
                         const Int8Output& stage, const Int8OutputConstants& c, std::int8_t* out) {
  const __m256i q = requantize8(sum, bias, multiplier, c);
  const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  const __m128i bytes = _mm_packs_epi16(words, words);
  if (!stage.table) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), bytes);
    return;
  }
  alignas(16) std::int8_t v[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(v), bytes);
  for (int j = 0; j < 8; ++j) out[j] = stage.table[v[j] + 128];
}

}  // namespace joule::inline JOULE_TARGET::kernels::avx2

JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD && __AVX2__
