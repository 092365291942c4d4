// Precision: how a network's specs bind. A spec such as Conv2d<16, 3, 2> is the same for every
// precision; binding it with a precision picks the implementation:
//
//   bind_t<Conv2d<16, 3, 2>, Shape<224, 224, 3>>          the float32 layer (BoundConv)
//   bind_t<Conv2d<16, 3, 2>, Shape<224, 224, 3>, Int8>    the int8 layer (quant/conv.hpp)
//
// Each kind of layer has an implementation trait (ConvFor<P>, LinearFor<P>, ...) specialized in the
// header of the implementation, so a layer header never includes another precision's code: the
// float32 specializations live beside the float32 layers, the int8 ones in quant/. Networks carry
// their precision (Network is float32; quant::Quantized<Net> is the same network in int8).
#pragma once

#include <concepts>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// float32 activations and weights: the default of every spec and network.
struct Float32 {
  static constexpr const char* name = "f32";
};

/// An implementation trait's answer for a precision that has none.
template <class Precision>
struct no_implementation {
  static_assert(
      sizeof(Precision) == 0,
      "joule: this layer has no implementation in the requested precision (for int8, include "
      "<joule/quant.hpp>; layers without an int8 form say so in docs/quantization.md)");
};

}  // namespace joule::inline JOULE_TARGET
