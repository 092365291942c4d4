// Width, depth and resolution scaling of the MobileNet and EfficientNet families, computed at
// compile time with the same rounding as torchvision and the EfficientNet reference code.
#pragma once

#include "joule/core/make_divisible.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::models {

/// A multiplier such as a width of 0.75 ({3, 4}) or a depth of 3.1 ({31, 10}). Floating-point
/// template arguments are not portable (Clang 14), so multipliers are ratios of integers; their
/// value is the double nearest num / den, the same double Python holds for the literal.
struct Ratio {
  int num = 1;
  int den = 1;
  constexpr double value() const { return static_cast<double>(num) / den; }
  friend constexpr bool operator==(const Ratio&, const Ratio&) = default;
};

/// Channels scaled by a width multiplier, rounded to a multiple of 8 (torchvision's
/// _make_divisible; EfficientNet's round_filters).
constexpr int scale_channels(int channels, Ratio width) {
  return make_divisible(channels * width.value(), 8);
}

/// Repeats scaled by a depth multiplier, rounded up (EfficientNet's round_repeats).
constexpr int scale_depth(int repeats, Ratio depth) {
  const double scaled = repeats * depth.value();
  const int truncated = static_cast<int>(scaled);
  return truncated < scaled ? truncated + 1 : truncated;
}

constexpr double power(double base, int exponent) {
  double result = 1.0;
  for (int i = 0; i < exponent; ++i) result *= base;
  return result;
}

/// A double as a ratio in millionths: how compound scaling stores the multipliers it computes.
constexpr Ratio to_millionths(double value) {
  return Ratio{static_cast<int>(value * 1'000'000.0 + 0.5), 1'000'000};
}

}  // namespace joule::inline JOULE_TARGET::models
