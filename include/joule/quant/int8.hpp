// Int8: the precision of quantized networks (docs/quantization.md). Bound with it, a spec becomes
// its int8 layer: int8 activations with one scale and zero point per tensor, int8 weights with
// one scale per output channel, int32 sums, requantized in float (kernels/int8/requantize.hpp).
//
//   using Q = quant::Quantized<models::MobileNetV2<>>;   // the same network in int8
#pragma once

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

struct Int8 {
  static constexpr const char* name = "i8";
};

}  // namespace joule::inline JOULE_TARGET
