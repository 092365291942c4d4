// Int8: the precision of quantized networks (docs/quantization.md). Bound with it, a spec becomes
// its int8 layer: int8 activations with one scale and zero point per tensor, int8 weights with
// one scale per output channel, int32 sums, requantized in float (kernels/int8/requantize.hpp).
//
//   using Q = quant::Quantized<models::MobileNetV2<>>;   // the same network in int8
//   using Q8 = quant::Quantized<models::MobileNetV2<>, quant::Edges::int8>;   // int8 in and out
#pragma once

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

struct Int8 {
  static constexpr const char* name = "i8";
};

/// The same int8 layers, with an int8 input and output instead of float ones:
/// quant::Quantized<Net, quant::Edges::int8>. Its layers bind with Int8.
struct Int8InOut {
  static constexpr const char* name = "i8 in/out";
};

}  // namespace joule::inline JOULE_TARGET
