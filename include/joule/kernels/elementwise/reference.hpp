// Element-wise reference kernels: plain loops, the oracle for optimized versions.
#pragma once

#include <cstddef>

#include "joule/kernels/elementwise/activation.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::elementwise {

/// output[i] = Act(a[i] + b[i]). Any of the pointers may alias each other exactly.
template <Activation Act>
void add_reference(std::size_t count, const float* a, const float* b, float* output) {
  for (std::size_t i = 0; i < count; ++i) output[i] = Act::apply(a[i] + b[i]);
}

/// output[p][c] = Act(input[p][c] * scale[c] + shift[c]) over `pixels` NHWC pixels.
/// input and output may be the same buffer.
template <Activation Act>
void affine_channels_reference(std::size_t pixels, int channels, const float* input,
                               const float* scale, const float* shift, float* output) {
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* in = input + p * channels;
    float* out = output + p * channels;
    for (int c = 0; c < channels; ++c) out[c] = Act::apply(in[c] * scale[c] + shift[c]);
  }
}

/// output[p][c] = input[p][c] * scale[c] (the squeeze-excite rescale). In place is allowed.
inline void scale_channels_reference(std::size_t pixels, int channels, const float* input,
                                     const float* scale, float* output) {
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* in = input + p * channels;
    float* out = output + p * channels;
    for (int c = 0; c < channels; ++c) out[c] = in[c] * scale[c];
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::elementwise
