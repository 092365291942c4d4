// The element-wise kernels layers call: residual sum, per-channel scale (squeeze-excite) and
// per-channel affine (standalone BatchNorm).
#pragma once

#include <cstddef>

#include "joule/kernels/elementwise/reference.hpp"
#include "joule/kernels/elementwise/simd.hpp"
#include "joule/kernels/kernel_name.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::elementwise {

template <Activation Act>
void add(std::size_t count, const float* a, const float* b, float* output) {
#if JOULE_SIMD
  add_simd<arch::Default, Act>(count, a, b, output);
#else
  add_reference<Act>(count, a, b, output);
#endif
}

template <Activation Act>
void affine_channels(std::size_t pixels, int channels, const float* input, const float* scale, const float* shift,
                     float* output) {
#if JOULE_SIMD
  affine_channels_simd<arch::Default, Act>(pixels, channels, input, scale, shift, output);
#else
  affine_channels_reference<Act>(pixels, channels, input, scale, shift, output);
#endif
}

inline void scale_channels(std::size_t pixels, int channels, const float* input, const float* scale, float* output) {
#if JOULE_SIMD
  affine_channels_simd<arch::Default, Identity>(pixels, channels, input, scale, nullptr, output);
#else
  scale_channels_reference(pixels, channels, input, scale, output);
#endif
}

constexpr KernelName add_name() { return kernel_name("add", "", JOULE_SIMD); }
constexpr KernelName affine_name() { return kernel_name("affine", "", JOULE_SIMD); }

}  // namespace joule::inline JOULE_TARGET::kernels::elementwise
