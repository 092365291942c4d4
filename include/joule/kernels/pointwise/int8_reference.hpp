// Reference int8 pointwise (1x1) convolution: the oracle of the int8 pointwise kernels. Weights
// [in][out] int8 (zero point 0) in the packed panel layout of gemm/packing.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/int8/requantize.hpp"

// Not inlined: one copy of each kernel serves every layer, whatever its shape.
namespace joule::inline JOULE_TARGET::kernels::pointwise {

/// Pixels [first, last), output channels [first_channel, last_channel).
[[gnu::noinline]] inline void reference_int8(std::size_t first, std::size_t last, int first_channel,
                                             int last_channel, int in_channels, int out_channels,
                                             const std::int8_t* input,
                                             std::int32_t input_zero_point,
                                             const std::int8_t* weights,
                                             const Int8Output& out_stage, std::int8_t* output) {
  for (std::size_t p = first; p < last; ++p) {
    const std::int8_t* in = input + p * in_channels;
    std::int8_t* out = output + p * out_channels;
    for (int o = first_channel; o < last_channel; ++o) {
      std::int32_t sum = 0;
      for (int i = 0; i < in_channels; ++i) {
        sum += (static_cast<std::int32_t>(in[i]) - input_zero_point) *
               static_cast<std::int32_t>(weights[gemm::packed_index(i, o, in_channels)]);
      }
      out[o] = out_stage(sum, o);
    }
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::pointwise
