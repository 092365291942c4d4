// How an int8 tensor stands for real numbers: real = scale * (q - zero_point), q in [-128, 127],
// one scale and zero point per activation tensor (weights: one scale per output channel and zero
// point 0). See docs/quantization.md.
#pragma once

#include <cmath>
#include <cstdint>

#include "joule/core/quant_params.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/int8_reference.hpp"
#include "joule/kernels/int8/requantize.hpp"

namespace joule::inline JOULE_TARGET::quant {

inline constexpr std::int32_t q_min = -128;
inline constexpr std::int32_t q_max = 127;

using joule::QuantParams;

using kernels::requantize;
using kernels::round_half_even;

/// Parameters that cover [min, max] with the 256 int8 values, 0.0 exactly representable (zero
/// padding and ReLU's zero must stay exact): the range is widened to hold 0, scale = (max - min)
/// / 255, zero_point = round(-128 - min / scale) clamped to int8. A range of one point gets
/// scale 1 / 256 and keeps 0 exact.
inline QuantParams params_for_range(float min, float max) {
  if (min > 0.0f) min = 0.0f;
  if (max < 0.0f) max = 0.0f;
  double scale = (static_cast<double>(max) - min) / 255.0;
  if (!(scale > 0.0) || !std::isfinite(scale)) scale = 1.0 / 256.0;
  const double zero = std::nearbyint(-128.0 - min / scale);
  QuantParams params;
  params.scale = static_cast<float>(scale);
  params.zero_point =
      static_cast<std::int32_t>(zero < q_min ? q_min : (zero > q_max ? q_max : zero));
  return params;
}

/// round(x * (1 / scale)) + zero_point, clamped to int8: how a float is quantized (as PyTorch's
/// quantize_per_tensor computes it: the reciprocal in float, then one multiply).
inline std::int8_t quantize_value(float x, QuantParams p) {
  std::int8_t q = 0;
  kernels::elementwise::quantize(1, &x, 1.0f / p.scale, p.zero_point, &q);
  return q;
}

/// The multiplier that requantizes a sum of (x - input zero point) * w to the output:
/// (weight scale * input scale) * (1 / output scale), in float, in this order (QNNPACK's, so that
/// PyTorch-quantized models give PyTorch's integers; docs/quantization.md).
inline float requantization_multiplier(float input_scale, float weight_scale, float output_scale) {
  const float product = weight_scale * input_scale;
  return product * (1.0f / output_scale);
}

/// A float bias in the int32 units of the sum: round(bias * (1 / (weight scale * input scale))),
/// the float reciprocal then one multiply, rounded half to even (as PyTorch quantizes a bias).
inline std::int32_t quantize_bias(float bias, float input_scale, float weight_scale) {
  const float scale = weight_scale * input_scale;
  const double q = std::nearbyint(static_cast<double>(bias * (1.0f / scale)));
  return static_cast<std::int32_t>(q < -2147483648.0 ? -2147483648.0
                                                     : (q > 2147483647.0 ? 2147483647.0 : q));
}

/// scale * (q - zero_point).
inline float dequantize_value(std::int8_t q, QuantParams p) {
  return p.scale * static_cast<float>(static_cast<std::int32_t>(q) - p.zero_point);
}

}  // namespace joule::inline JOULE_TARGET::quant
