// TensorData: one tensor as a weight source holds it, in PyTorch's layout (contiguous, row-major),
// with its element type. Binding asks a source for each tensor a layer takes (TensorSpec), checks
// shape and dtype, and hands the data to the layer's pack().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// A source that holds the tensor in a type it cannot give as one of the DTypes (a float64 or
/// bool tensor, say) answers with data == nullptr and the type's name in unsupported_dtype, so that
/// binding can say so.
struct TensorData {
  const void* data = nullptr;
  int rank = 0;
  std::array<std::int64_t, 8> dims{};
  std::string_view unsupported_dtype{};
  DType dtype = DType::f32;

  constexpr std::size_t elements() const {
    std::size_t count = 1;
    for (int i = 0; i < rank; ++i) count *= static_cast<std::size_t>(dims[i]);
    return count;
  }
  /// The elements as T, or null when the tensor holds another dtype.
  template <class T>
  const T* values() const {
    return dtype == dtype_of<T> ? static_cast<const T*>(data) : nullptr;
  }
};

}  // namespace joule::inline JOULE_TARGET
