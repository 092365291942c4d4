// The element-wise kernels and which one runs: residual sum, per-channel scale (squeeze-excite)
// and per-channel affine (standalone BatchNorm).
#pragma once

#include <array>
#include <cstddef>

#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/reference.hpp"
#include "joule/kernels/elementwise/simd.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace joule::inline JOULE_TARGET::kernels::elementwise {

inline constexpr auto add_records = reference_and_simd(KernelOp::add);
inline constexpr auto affine_records = reference_and_simd(KernelOp::affine);

constexpr KernelRecord choose_add() {
  return add_records.back();
}
constexpr KernelRecord choose_affine() {
  return affine_records.back();
}

/// output = Act(a + b); either input may be the output buffer.
template <KernelRecord K, Activation Act>
void add(std::size_t count, const float* a, const float* b, float* output) {
  JOULE_IF_SIMD(K, add_simd<arch::Default, Act>(count, a, b, output)) {
    add_reference<Act>(count, a, b, output);
  }
}

template <KernelRecord K, Activation Act>
void affine_channels(std::size_t pixels, int channels, const float* input, const float* scale,
                     const float* shift, float* output) {
  JOULE_IF_SIMD(
      K, affine_channels_simd<arch::Default, Act>(pixels, channels, input, scale, shift, output)) {
    affine_channels_reference<Act>(pixels, channels, input, scale, shift, output);
  }
}

/// output[p][c] = input[p][c] * scale[c], with an affine kernel (no shift).
template <KernelRecord K>
void scale_channels(std::size_t pixels, int channels, const float* input, const float* scale,
                    float* output) {
  JOULE_IF_SIMD(K, affine_channels_simd<arch::Default, Identity>(pixels, channels, input, scale,
                                                                 nullptr, output)) {
    scale_channels_reference(pixels, channels, input, scale, output);
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::elementwise
