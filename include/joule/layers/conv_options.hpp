// Options shared by the convolution layers (Conv2d, DepthwiseConv, Pointwise).
#pragma once

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// What follows the convolution before its activation.
enum class Norm : unsigned char {
  batch,  // a BatchNorm2d, folded into the weights and a bias when weights are bound (default)
  bias,   // the convolution's own bias
  none,   // nothing
};

struct ConvOptions {
  int groups = 1;
  Norm norm = Norm::batch;
  /// Zero padding on each side; -1 means torchvision's choice, (kernel - 1) / 2 * dilation.
  int padding = -1;
  int dilation = 1;
  /// The BatchNorm's epsilon is 10^bn_eps_log10: PyTorch's default 1e-5, or 1e-3 as MobileNetV3
  /// and EfficientNet-B5 and up use. (Floating-point template arguments are not portable to
  /// Clang 14, hence the exponent.)
  int bn_eps_log10 = -5;
};

constexpr double pow10(int exponent) {
  double value = 1.0;
  for (int i = 0; i < exponent; ++i) value *= 10.0;
  for (int i = 0; i > exponent; --i) value /= 10.0;
  return value;
}

}  // namespace joule::inline JOULE_TARGET
