// Channel rounding used by MobileNet and EfficientNet: round to the nearest multiple of
// `divisor`, never below `divisor`, and never more than 10% below the value asked for.
// Same rule as torchvision's models._utils._make_divisible.
#pragma once

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

constexpr int make_divisible(double value, int divisor) {
  const int rounded = static_cast<int>(value + divisor / 2.0) / divisor * divisor;
  int result = rounded > divisor ? rounded : divisor;
  if (result < 0.9 * value) result += divisor;
  return result;
}

}  // namespace joule::inline JOULE_TARGET
