// Target selection: which SIMD instruction set the kernels are compiled for.
//
// xsimd picks the widest instruction set the compiler flags allow (-march=...): avx512bw,
// fma3+avx2, sse4.2, sse2, arm64+neon. Where xsimd has none (Cortex-M, riscv64) or is absent, or
// JOULE_NO_SIMD is defined, the kernels use their scalar paths, which build everywhere.
//
//   JOULE_SIMD          1 when xsimd batches are available for arch::Default
//   arch::Default       the xsimd architecture tag, or arch::Scalar
//   arch::name          "avx512bw", "fma3+avx2", "arm64+neon", ..., or "scalar"
//   arch::lanes         floats per SIMD register (1 for scalar)
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/target.hpp"

// GCC 12 reports -Wuninitialized and -Wmaybe-uninitialized inside its own AVX-512 intrinsics
// (_mm512_undefined_ps, GCC bug 105593, fixed in GCC 13). SIMD kernel code sits between these two, so that builds with
// -Werror, ours and our users', are not broken by it; nothing else is silenced.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define JOULE_SIMD_CODE_BEGIN                                            \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define JOULE_SIMD_CODE_END _Pragma("GCC diagnostic pop")
#else
#define JOULE_SIMD_CODE_BEGIN
#define JOULE_SIMD_CODE_END
#endif

#if !defined(JOULE_NO_SIMD) && __has_include(<xsimd/xsimd.hpp>)
// xsimd's own templates (exp, casts) are instantiated from our kernels and carry the same GCC 12
// false positive, so they are read under the same rule.
JOULE_SIMD_CODE_BEGIN
#include <xsimd/xsimd.hpp>
JOULE_SIMD_CODE_END
#if defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#define JOULE_SIMD 0
#else
#define JOULE_SIMD 1
#endif
#else
#define JOULE_SIMD 0
#endif

// Full unrolling of the small fixed loops over registers in the kernels, so that accumulators
// live in registers (GCC and Clang both read this pragma).
#if defined(__GNUC__)
#define JOULE_UNROLL _Pragma("GCC unroll 16")
#else
#define JOULE_UNROLL
#endif


namespace joule::inline JOULE_TARGET::arch {

/// The target without SIMD: plain float arithmetic.
struct Scalar {
  static constexpr std::string_view name() { return "scalar"; }
};

#if JOULE_SIMD
using Default = xsimd::default_arch;
inline constexpr std::size_t lanes = xsimd::batch<float, Default>::size;
#else
using Default = Scalar;
inline constexpr std::size_t lanes = 1;
#endif

inline constexpr std::string_view name = Default::name();

}  // namespace joule::inline JOULE_TARGET::arch
