// The arithmetic every int8 kernel ends with: an int32 sum scaled back to int8. One float multiply
// by a per-channel multiplier (input scale x weight scale / output scale), rounded half to even,
// plus the output's zero point, clamped to the activation's range, then an optional 256-entry
// table (an activation other than a clamp, quant/activation_table.hpp).
//
// Every step is one exactly rounded IEEE operation, so every target gives the same bits: the
// clamp comes between the multiply and the rounding add (the same result, the bounds being
// integers), so that no compiler can fuse the two into an FMA, and the rounding add's result is
// stored as a float (round_half_even) so that no target keeps it wider.
#pragma once

#include <cstdint>

#include "joule/core/cost.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels {

/// Round half to even of x, for |x| < 2^22: adding and subtracting 1.5 * 2^23 leaves x's integer
/// part in the mantissa, rounded as IEEE addition rounds (to nearest, ties to even).
inline float round_half_even(float x) {
  constexpr float magic = 12582912.0f;  // 1.5 * 2^23
  volatile float shifted = x + magic;   // rounded to float here, never kept wider
  return shifted - magic;
}

/// clamp(round_half_even(float(acc) * multiplier) + zero_point, low, high).
inline std::int32_t requantize(std::int32_t acc, float multiplier, std::int32_t zero_point,
                               std::int32_t low, std::int32_t high) {
  float x = static_cast<float>(acc) * multiplier;
  const float lowest = static_cast<float>(low - zero_point);
  const float highest = static_cast<float>(high - zero_point);
  x = x > highest ? highest : x;
  x = x >= lowest ? x : lowest;
  return static_cast<std::int32_t>(round_half_even(x)) + zero_point;
}

/// The operations of one requantize() (for the energy estimate): the conversion to float, the
/// multiply, two clamps, the rounding add and subtract, the conversion back and the zero point.
inline constexpr ElementwiseOps requantize_ops{.adds = 7, .multiplies = 1};

/// What an int8 kernel does with the int32 sum of each output channel.
struct Int8Output {
  const std::int32_t* bias = nullptr;  // per output channel, or null
  const float* multiplier = nullptr;   // per output channel
  std::int32_t zero_point = 0;
  std::int32_t low = -128;
  std::int32_t high = 127;
  const std::int8_t* table = nullptr;  // 256 entries indexed by q + 128, or null

  /// The operations per output: the bias add, the requantization, the table read when tables.
  static constexpr ElementwiseOps ops(bool table) {
    return ElementwiseOps{.adds = table ? 2u : 1u} + requantize_ops;
  }

  std::int8_t operator()(std::int32_t sum, int channel) const {
    if (bias) sum += bias[channel];
    const std::int32_t q = requantize(sum, multiplier[channel], zero_point, low, high);
    return static_cast<std::int8_t>(table ? table[q + 128] : q);
  }
};

}  // namespace joule::inline JOULE_TARGET::kernels
