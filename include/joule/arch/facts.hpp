// Facts about a target that kernels size themselves by, looked up from the architecture tag
// (xsimd's, or arch::Scalar) rather than tested with #if inside kernel code:
//
//   Facts<A>::lanes              floats per SIMD register (1 for Scalar)
//   Facts<A>::vector_registers   architectural vector registers: 32 on AVX-512 and AArch64
//                                (Intel SDM vol. 1 15.1; Arm ARM A1.4), 16 on SSE, AVX and AVX2
//   Facts<A>::masked_memory      masked loads and stores exist (AVX-512 masks, AVX2 vmaskmov)
//   Facts<A>::cached_panel_bytes packed weights up to this size are expected to stay in cache
//                                while every row block passes over them (a 256 KiB L2 slice, the
//                                smallest of the x86 and Arm cores this library is measured on)
#pragma once

#include <cstddef>
#include <type_traits>

#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::arch {

template <class A>
struct Facts {
#if JOULE_SIMD
  static constexpr std::size_t lanes = xsimd::batch<float, A>::size;
  static constexpr bool avx512 = std::is_base_of_v<xsimd::avx512f, A>;
  static constexpr bool avx2 = std::is_base_of_v<xsimd::avx2, A>;
  static constexpr bool aarch64 = std::is_base_of_v<xsimd::neon64, A>;
#else
  static constexpr std::size_t lanes = 1;
  static constexpr bool avx512 = false;
  static constexpr bool avx2 = false;
  static constexpr bool aarch64 = false;
#endif
  static constexpr int vector_registers = avx512 || aarch64 ? 32 : 16;
  static constexpr bool masked_memory = avx512 || avx2;
  static constexpr std::size_t cached_panel_bytes = 256 * 1024;
};

template <>
struct Facts<Scalar> {
  static constexpr std::size_t lanes = 1;
  static constexpr bool avx512 = false;
  static constexpr bool avx2 = false;
  static constexpr bool aarch64 = false;
  static constexpr int vector_registers = 16;
  static constexpr bool masked_memory = false;
  static constexpr std::size_t cached_panel_bytes = 256 * 1024;
};

}  // namespace joule::inline JOULE_TARGET::arch
