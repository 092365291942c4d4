// Loads and stores of the first `count` lanes of a batch, for the channel tails that are not a
// whole register (72 channels on AVX-512 are 4 registers and 8 floats). xsimd 8.1 has no masked
// memory operations, so AVX-512 and AVX2 use their mask instructions; other targets go through
// a small stack buffer. Lanes past `count` load as zero and are never written.
#pragma once

#include <cstddef>
#include <cstring>

#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::arch {

#if JOULE_SIMD

template <class A>
using FloatBatch = xsimd::batch<float, A>;

template <class A>
FloatBatch<A> load_partial(const float* data, std::size_t count) {
  using B = FloatBatch<A>;
#if defined(__AVX512F__)
  if constexpr (B::size == 16) {
    return B(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), data));
  }
#endif
#if defined(__AVX2__)
  if constexpr (B::size == 8) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), lane);
    return B(_mm256_maskload_ps(data, mask));
  }
#endif
  alignas(64) float buffer[B::size] = {};
  // count < B::size; the clamp says so to GCC 12, whose -Warray-bounds otherwise sees a copy past
  // the buffer where a caller's bound on count is lost after inlining (the linear tail on NEON).
  std::memcpy(buffer, data, (count < B::size ? count : B::size) * sizeof(float));
  return B::load_aligned(buffer);
}

template <class A>
void store_partial(float* data, const FloatBatch<A>& value, std::size_t count) {
  using B = FloatBatch<A>;
#if defined(__AVX512F__)
  if constexpr (B::size == 16) {
    _mm512_mask_storeu_ps(data, static_cast<__mmask16>((1u << count) - 1u), value);
    return;
  }
#endif
#if defined(__AVX2__)
  if constexpr (B::size == 8) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), lane);
    _mm256_maskstore_ps(data, mask, value);
    return;
  }
#endif
  alignas(64) float buffer[B::size];
  value.store_aligned(buffer);
  std::memcpy(data, buffer, (count < B::size ? count : B::size) * sizeof(float));  // as in load_partial
}

#endif  // JOULE_SIMD

}  // namespace joule::inline JOULE_TARGET::arch
JOULE_SIMD_CODE_END
