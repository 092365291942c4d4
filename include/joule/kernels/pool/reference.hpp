// Reference global average pooling: the mean of every channel over all pixels. Sums in double:
// EfficientNet pools maps of up to 300x300 pixels, where a float running sum drifts by about 1e-5
// relative, more than the oracle may.
#pragma once

#include <cstddef>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::pool {

inline void global_average_reference(std::size_t pixels, int channels, const float* input, float* output) {
  for (int c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (std::size_t p = 0; p < pixels; ++p) sum += input[p * channels + c];
    output[c] = static_cast<float>(sum / static_cast<double>(pixels));
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::pool
