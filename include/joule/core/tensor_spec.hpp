// TensorSpec: one weight tensor a layer takes from PyTorch, as PyTorch shapes it. Binding looks
// each one up by name and checks its shape before the layer packs it into its own layout.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

struct TensorSpec {
  /// Name inside its part: "weight", "bias", "running_mean", "running_var".
  std::string_view name;
  /// Index into the layer's part names (a Conv2d with BatchNorm has parts "0" and "1", after
  /// torchvision's Conv2dNormActivation); the full name is path.part.name.
  int part = 0;
  int rank = 0;
  std::array<std::int64_t, 4> dims{};
  /// The element type the layer packs from; sources with F16 / BF16 data convert to f32.
  DType dtype = DType::f32;

  constexpr std::size_t elements() const {
    std::size_t count = 1;
    for (int i = 0; i < rank; ++i) count *= static_cast<std::size_t>(dims[i]);
    return count;
  }
};

}  // namespace joule::inline JOULE_TARGET
