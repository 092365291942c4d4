// PackSources: what a layer's pack() receives to build its weight storage: the tensors it asked
// for (tensors[i] answers its TensorSpec i, shape and dtype already checked), for int8 layers the
// quantization of their inputs, and the options binding was given. Anything packing needs later
// (a sparsity plan) comes here too, so that adding an input does not change every layer's
// signature.
#pragma once

#include <cstddef>

#include "joule/core/quant_params.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_data.hpp"

namespace joule::inline JOULE_TARGET {

/// The most tensors one layer takes (an int8 fused inverted residual with table activations takes
/// 21).
inline constexpr std::size_t max_layer_tensors = 32;

/// Choices binding makes for every layer of a network.
struct PackOptions {
  /// int8: ReLU6 clamps as ReLU (the network was quantized with its ReLU6 replaced by ReLU, as
  /// torchvision's quantizable MobileNetV2 is).
  bool relu6_as_relu = false;
};

struct PackSources {
  const TensorData* const* tensors = nullptr;
  std::size_t count = 0;
  /// int8 layers: the quantization of the layer's input (the output of the layer before it), and
  /// for the sum that closes a residual, of the residual's input (its other operand).
  const QuantParams* input = nullptr;
  const QuantParams* residual = nullptr;
  PackOptions options{};

  /// Tensor i's elements as T (null if it holds another dtype: binding checked it does not).
  template <class T = float>
  const T* values(std::size_t i) const {
    return i < count && tensors[i] != nullptr ? tensors[i]->values<T>() : nullptr;
  }
};

}  // namespace joule::inline JOULE_TARGET
