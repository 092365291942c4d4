// Reference int8 global average pooling: per channel the int32 sum of (x - input_zero_point) over
// all pixels, times input scale / (output scale x pixels), rounded half to even, plus the output's
// zero point (the requantization of kernels/int8/requantize.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/int8/requantize.hpp"

// Not inlined: one copy of each kernel serves every layer, whatever its shape.
namespace joule::inline JOULE_TARGET::kernels::pool {

[[gnu::noinline]] inline void global_average_int8(std::size_t pixels, int channels,
                                                  const std::int8_t* input,
                                                  std::int32_t input_zero_point, float multiplier,
                                                  std::int32_t output_zero_point,
                                                  std::int8_t* output) {
  for (int c = 0; c < channels; ++c) {
    std::int32_t sum = 0;
    for (std::size_t p = 0; p < pixels; ++p)
      sum += static_cast<std::int32_t>(input[p * channels + c]) - input_zero_point;
    output[c] = static_cast<std::int8_t>(requantize(sum, multiplier, output_zero_point, -128, 127));
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::pool
