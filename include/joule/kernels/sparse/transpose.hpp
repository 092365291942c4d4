// Transpose of a square tile of floats held in registers: `lanes` batches in, row r lane c out as
// row c lane r. The sparse pointwise kernel (simd.hpp) turns NHWC pixels into per-channel rows of
// pixels and back with it, once per element each way, so its cost sits beside the few products a
// pruned weight row leaves; a transpose through memory costs one load and one store per float, as
// much as the arithmetic itself at 90% sparsity on narrow layers.
//
// xsimd 8.1 has no transpose and its zip_lo/zip_hi interleave within 128-bit halves on AVX, so the
// shuffles are written per instruction set, chosen by overload on the architecture tag as xsimd
// dispatches (arch/partial.hpp does the same): the 4x4 of SSE (Intel's _MM_TRANSPOSE4_PS
// sequence) and the 8x8 of AVX (unpack, shuffle, then swap 128-bit halves: 24 shuffles for 64
// floats). Other targets (AVX-512's 16x16, NEON) go through a stack buffer.
#pragma once

#include <cstddef>

#include "joule/arch/partial.hpp"  // JOULE_X86_INTRINSICS and <immintrin.h>
#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN

namespace joule::inline JOULE_TARGET::kernels::sparse {

template <class A>
using Tile = xsimd::batch<float, A>[xsimd::batch<float, A>::size];

namespace detail {

template <class A>
void transpose_for(Tile<A>& rows, xsimd::generic) {
  using B = xsimd::batch<float, A>;
  constexpr std::size_t n = B::size;
  alignas(64) float in[n * n];
  alignas(64) float out[n * n];
  for (std::size_t r = 0; r < n; ++r) rows[r].store_aligned(in + r * n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) out[c * n + r] = in[r * n + c];
  for (std::size_t r = 0; r < n; ++r) rows[r] = B::load_aligned(out + r * n);
}

#if JOULE_X86_INTRINSICS
template <class A>
void transpose_for(Tile<A>& rows, xsimd::sse2) {
  using B = xsimd::batch<float, A>;
  const __m128 t0 = _mm_unpacklo_ps(rows[0], rows[1]);  // a0 b0 a1 b1
  const __m128 t1 = _mm_unpacklo_ps(rows[2], rows[3]);  // c0 d0 c1 d1
  const __m128 t2 = _mm_unpackhi_ps(rows[0], rows[1]);  // a2 b2 a3 b3
  const __m128 t3 = _mm_unpackhi_ps(rows[2], rows[3]);  // c2 d2 c3 d3
  rows[0] = B(_mm_movelh_ps(t0, t1));
  rows[1] = B(_mm_movehl_ps(t1, t0));
  rows[2] = B(_mm_movelh_ps(t2, t3));
  rows[3] = B(_mm_movehl_ps(t3, t2));
}

template <class A>
void transpose_for(Tile<A>& rows, xsimd::avx) {
  using B = xsimd::batch<float, A>;
  // Pairs of rows interleaved, then quads, within each 128-bit half; then the halves swapped.
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {
    const int i = 4 * h;
    s[i + 0] = _mm256_shuffle_ps(t[i + 0], t[i + 2], 0x44);
    s[i + 1] = _mm256_shuffle_ps(t[i + 0], t[i + 2], 0xee);
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    rows[i] = B(_mm256_permute2f128_ps(s[i], s[i + 4], 0x20));
    rows[i + 4] = B(_mm256_permute2f128_ps(s[i], s[i + 4], 0x31));
  }
}
#endif

}  // namespace detail

/// rows[r][c] becomes rows[c][r], for r, c < lanes.
template <class A>
inline void transpose(Tile<A>& rows) {
  detail::transpose_for<A>(rows, A{});
}

}  // namespace joule::inline JOULE_TARGET::kernels::sparse

JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
