// Reference global average pooling: the mean of every channel over all pixels.
#pragma once

#include <cstddef>

namespace joule::kernels::pool {

inline void global_average_reference(std::size_t pixels, int channels, const float* input,
                                     float* output) {
  for (int c = 0; c < channels; ++c) output[c] = 0.0f;
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* in = input + p * channels;
    for (int c = 0; c < channels; ++c) output[c] += in[c];
  }
  const float count = static_cast<float>(pixels);
  for (int c = 0; c < channels; ++c) output[c] /= count;
}

}  // namespace joule::kernels::pool
