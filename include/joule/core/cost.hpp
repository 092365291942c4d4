// Cost: what one inference of a layer or network spends, known at compile time.
#pragma once

#include <cstdint>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

struct Cost {
  /// Trainable parameters as PyTorch counts them for the same module (a BatchNorm adds its weight
  /// and bias; running statistics are buffers and do not count).
  std::uint64_t params = 0;
  /// Multiply-accumulates of convolutions and linear layers, by the usual convention:
  /// conv = output elements x (input channels / groups) x kernel height x kernel width,
  /// linear = in features x out features. Element-wise work is not counted here.
  std::uint64_t macs = 0;
  /// Bytes of weights the kernels read per inference (after BatchNorm folding).
  std::uint64_t weight_bytes = 0;
  /// Bytes of activations read and written per inference.
  std::uint64_t activation_read_bytes = 0;
  std::uint64_t activation_write_bytes = 0;

  constexpr Cost& operator+=(const Cost& other) {
    params += other.params;
    macs += other.macs;
    weight_bytes += other.weight_bytes;
    activation_read_bytes += other.activation_read_bytes;
    activation_write_bytes += other.activation_write_bytes;
    return *this;
  }
  friend constexpr Cost operator+(Cost left, const Cost& right) { return left += right; }
  friend constexpr bool operator==(const Cost&, const Cost&) = default;
};

}  // namespace joule::inline JOULE_TARGET
