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

#if !defined(JOULE_NO_SIMD) && __has_include(<xsimd/xsimd.hpp>)
#include <xsimd/xsimd.hpp>
#if defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#define JOULE_SIMD 0
#else
#define JOULE_SIMD 1
#endif
#else
#define JOULE_SIMD 0
#endif

namespace joule::arch {

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

}  // namespace joule::arch
