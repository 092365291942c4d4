// Loads and stores of the first `count` lanes of a batch, for the channel tails that are not a
// whole register (72 channels on AVX-512 are 4 registers and 8 floats). xsimd 8.1 has no masked
// memory operations, so targets whose Facts say they have masks use their mask instructions
// (chosen by overload on the architecture tag, as xsimd itself dispatches); the others go through
// a small stack buffer. Lanes past `count` load as zero and are never written.
#pragma once

#include <cstddef>
#include <cstring>

#include "joule/arch/facts.hpp"
#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define JOULE_X86_INTRINSICS 1
#else
#define JOULE_X86_INTRINSICS 0
#endif

JOULE_SIMD_CODE_BEGIN
namespace joule::inline JOULE_TARGET::arch {

#if JOULE_SIMD

template <class A>
using FloatBatch = xsimd::batch<float, A>;

namespace detail {

template <class A>
FloatBatch<A> load_partial(const float* data, std::size_t count, xsimd::generic) {
  using B = FloatBatch<A>;
  alignas(64) float buffer[B::size] = {};
  // count < B::size; the clamp says so to GCC 12, whose -Warray-bounds otherwise sees a copy past
  // the buffer where a caller's bound on count is lost after inlining (the linear tail on NEON).
  std::memcpy(buffer, data, (count < B::size ? count : B::size) * sizeof(float));
  return B::load_aligned(buffer);
}

template <class A>
void store_partial(float* data, const FloatBatch<A>& value, std::size_t count, xsimd::generic) {
  using B = FloatBatch<A>;
  alignas(64) float buffer[B::size];
  value.store_aligned(buffer);
  std::memcpy(data, buffer, (count < B::size ? count : B::size) * sizeof(float));  // as in load_partial
}

#if JOULE_X86_INTRINSICS
template <class A>
FloatBatch<A> load_partial(const float* data, std::size_t count, xsimd::avx512f) {
  return FloatBatch<A>(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), data));
}
template <class A>
void store_partial(float* data, const FloatBatch<A>& value, std::size_t count, xsimd::avx512f) {
  _mm512_mask_storeu_ps(data, static_cast<__mmask16>((1u << count) - 1u), value);
}

template <class A>
__m256i lane_mask(std::size_t count) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), lane);
}
template <class A>
FloatBatch<A> load_partial(const float* data, std::size_t count, xsimd::avx2) {
  return FloatBatch<A>(_mm256_maskload_ps(data, lane_mask<A>(count)));
}
template <class A>
void store_partial(float* data, const FloatBatch<A>& value, std::size_t count, xsimd::avx2) {
  _mm256_maskstore_ps(data, lane_mask<A>(count), value);
}
#endif

}  // namespace detail

template <class A>
FloatBatch<A> load_partial(const float* data, std::size_t count) {
  return detail::load_partial<A>(data, count, A{});
}

template <class A>
void store_partial(float* data, const FloatBatch<A>& value, std::size_t count) {
  detail::store_partial<A>(data, value, count, A{});
}

#endif  // JOULE_SIMD

}  // namespace joule::inline JOULE_TARGET::arch
JOULE_SIMD_CODE_END
