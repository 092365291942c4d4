// Cost: what one inference of a layer or network spends, known at compile time.
#pragma once

#include <cstdint>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// Element-wise arithmetic: adds (and subtractions, comparisons, clamps, conversions, table reads)
/// and multiplies, each one float32-class operation on one element. An FMA is one of each.
struct ElementwiseOps {
  std::uint64_t adds = 0;
  std::uint64_t multiplies = 0;

  constexpr ElementwiseOps& operator+=(const ElementwiseOps& other) {
    adds += other.adds;
    multiplies += other.multiplies;
    return *this;
  }
  friend constexpr ElementwiseOps operator+(ElementwiseOps left, const ElementwiseOps& right) {
    return left += right;
  }
  /// The same operations on `elements` elements.
  friend constexpr ElementwiseOps operator*(const ElementwiseOps& ops, std::uint64_t elements) {
    return ElementwiseOps{ops.adds * elements, ops.multiplies * elements};
  }
  friend constexpr bool operator==(const ElementwiseOps&, const ElementwiseOps&) = default;
};

struct Cost {
  /// Trainable parameters as PyTorch counts them for the same module (a BatchNorm adds its weight
  /// and bias; running statistics are buffers and do not count).
  std::uint64_t params = 0;
  /// Multiply-accumulates of convolutions and linear layers, by the usual convention:
  /// conv = output elements x (input channels / groups) x kernel height x kernel width,
  /// linear = in features x out features. Element-wise work is counted in `elementwise`.
  std::uint64_t macs = 0;
  /// Bytes of weights the kernels read per inference (after BatchNorm folding).
  std::uint64_t weight_bytes = 0;
  /// Bytes of activations read and written per inference.
  std::uint64_t activation_read_bytes = 0;
  std::uint64_t activation_write_bytes = 0;
  /// Element-wise work beyond the MACs: bias adds, activations, BatchNorm, residual sums, pooling,
  /// squeeze-excite gating; in int8 each output's requantization (float arithmetic in joule,
  /// kernels/int8/requantize.hpp), table reads, and the edges' quantize and dequantize.
  ElementwiseOps elementwise{};

  constexpr Cost& operator+=(const Cost& other) {
    params += other.params;
    macs += other.macs;
    weight_bytes += other.weight_bytes;
    activation_read_bytes += other.activation_read_bytes;
    activation_write_bytes += other.activation_write_bytes;
    elementwise += other.elementwise;
    return *this;
  }
  friend constexpr Cost operator+(Cost left, const Cost& right) { return left += right; }
  friend constexpr bool operator==(const Cost&, const Cost&) = default;
};

}  // namespace joule::inline JOULE_TARGET
