// PackSources: what a layer's pack() receives to build its weight storage. Today the PyTorch
// tensors it asked for (tensors[i] answers its TensorSpec i, shape and dtype already checked);
// the struct is where packing gets anything more it needs (calibration statistics for int8,
// a sparsity plan), so that adding an input does not change every layer's signature.
#pragma once

#include <cstddef>

#include "joule/core/tensor_data.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// The most tensors one layer takes (a fused inverted residual with BatchNorms takes 15).
inline constexpr std::size_t max_layer_tensors = 16;

struct PackSources {
  const TensorData* const* tensors = nullptr;
  std::size_t count = 0;

  /// Tensor i's elements as T (null if it holds another dtype: binding checked it does not).
  template <class T = float>
  const T* values(std::size_t i) const {
    return i < count && tensors[i] != nullptr ? tensors[i]->values<T>() : nullptr;
  }
};

}  // namespace joule::inline JOULE_TARGET
