// The target namespace: every joule entity lives in an inline namespace named after the
// instruction set the translation unit is compiled for, joule::inline JOULE_TARGET.
//
// Code is still written and used as joule::Shape, joule::Network, ... . The name only shows
// in symbols and diagnostics, and that is its purpose: a program that compiles some files with
// -march=x86-64-v4 and others for baseline x86-64 (one binary that picks its kernels at run
// time, see docs/targets.md) gets two distinct sets of joule symbols. Without it the linker
// would keep one copy of each inline function or template, possibly the AVX-512 one, and the
// baseline path would stop with an illegal instruction on an older CPU.
//
// The name follows the architecture xsimd selects for the same flags (arch/simd.hpp), or
// "scalar" when the kernels take their scalar paths.
#pragma once

#if !defined(JOULE_TARGET)
#if !defined(JOULE_NO_SIMD) && __has_include(<xsimd/config/xsimd_config.hpp>)
#include <xsimd/config/xsimd_config.hpp>
#endif

#if defined(JOULE_NO_SIMD) || !defined(XSIMD_WITH_SSE2)
#define JOULE_TARGET target_scalar
#elif XSIMD_WITH_AVX512BW
#define JOULE_TARGET target_avx512bw
#elif XSIMD_WITH_AVX512F
#define JOULE_TARGET target_avx512f
#elif XSIMD_WITH_FMA3_AVX2
#define JOULE_TARGET target_fma3_avx2
#elif XSIMD_WITH_AVX2
#define JOULE_TARGET target_avx2
#elif XSIMD_WITH_FMA3_AVX
#define JOULE_TARGET target_fma3_avx
#elif XSIMD_WITH_AVX
#define JOULE_TARGET target_avx
#elif XSIMD_WITH_FMA3_SSE
#define JOULE_TARGET target_fma3_sse4_2
#elif XSIMD_WITH_SSE4_2
#define JOULE_TARGET target_sse4_2
#elif XSIMD_WITH_SSE4_1
#define JOULE_TARGET target_sse4_1
#elif XSIMD_WITH_SSSE3
#define JOULE_TARGET target_ssse3
#elif XSIMD_WITH_SSE3
#define JOULE_TARGET target_sse3
#elif XSIMD_WITH_SSE2
#define JOULE_TARGET target_sse2
#elif XSIMD_WITH_NEON64
#define JOULE_TARGET target_neon64
#elif XSIMD_WITH_NEON
#define JOULE_TARGET target_neon
#else
#define JOULE_TARGET target_scalar
#endif
#endif
