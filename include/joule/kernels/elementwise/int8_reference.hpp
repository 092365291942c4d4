// Reference int8 element-wise kernels: the residual sum, the squeeze-excite gating product, and
// the network's edges (float input to int8, int8 logits to float).
//
// The product and the edges rescale with float multipliers, every step one exactly rounded IEEE
// operation (no two of them fusable into an FMA); the sum is fixed point. Every target gives the
// same bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/int8/requantize.hpp"

// Not inlined: one copy of each kernel serves every layer, whatever its shape.
namespace joule::inline JOULE_TARGET::kernels::elementwise {

/// How two int8 tensors are summed into a third, in fixed point (QNNPACK's add, so that
/// PyTorch-quantized models give PyTorch's integers): with multipliers A and B that are each
/// input's scale over the output's times 2^shift (quant/add.hpp makes them),
///   sum = A (a - a_zero_point) + B (b - b_zero_point)        exact int32 (A, B below 2^22)
///   out = sum / 2^shift rounded to nearest, ties away from zero, + output_zero_point, clamped.
/// Integer arithmetic only: every target gives the same bits.
struct Int8AddParams {
  std::int32_t a_zero_point = 0;
  std::int32_t a_multiplier = 0;
  std::int32_t b_zero_point = 0;
  std::int32_t b_multiplier = 0;
  std::int32_t shift = 0;
  std::int32_t output_zero_point = 0;
  std::int32_t low = -128;
  std::int32_t high = 127;
};

/// sum / 2^shift rounded to nearest, ties away from zero (arithmetic shift, remainder compared
/// with half of 2^shift, one less for negative sums).
inline std::int32_t shift_round_away(std::int32_t sum, std::int32_t shift) {
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << shift) - 1);
  const std::int32_t remainder = (sum & mask) - (sum < 0 ? 1 : 0);
  return (sum >> shift) + (remainder > (mask >> 1) ? 1 : 0);
}

/// The operations of add_int8 per element: two zero points, two multiplies and the sum, the
/// rounding shift's five (mask, sign, compare, shift, add), the zero point, two clamps.
inline constexpr ElementwiseOps add_int8_ops{.adds = 11, .multiplies = 2};

/// Either input may be the output buffer.
[[gnu::noinline]] inline void add_int8(std::size_t count, const std::int8_t* a,
                                       const std::int8_t* b, const Int8AddParams& p,
                                       std::int8_t* output) {
  for (std::size_t i = 0; i < count; ++i) {
    const std::int32_t sum = p.a_multiplier * (static_cast<std::int32_t>(a[i]) - p.a_zero_point) +
                             p.b_multiplier * (static_cast<std::int32_t>(b[i]) - p.b_zero_point);
    std::int32_t q = shift_round_away(sum, p.shift) + p.output_zero_point;
    q = q < p.low ? p.low : (q > p.high ? p.high : q);
    output[i] = static_cast<std::int8_t>(q);
  }
}

/// out[p][c] = round(multiplier (x[p][c] - x_zero_point) (gate[c] - gate_zero_point)) + output
/// zero point: the squeeze-excite rescale, multiplier = x scale x gate scale / output scale. The
/// product of the two int8 differences is an exact int32. In place is allowed.
[[gnu::noinline]] inline void scale_channels_int8(
    std::size_t pixels, int channels, const std::int8_t* input, std::int32_t input_zero_point,
    const std::int8_t* gate, std::int32_t gate_zero_point, float multiplier,
    std::int32_t output_zero_point, std::int8_t* output) {
  for (std::size_t p = 0; p < pixels; ++p) {
    for (int c = 0; c < channels; ++c) {
      const std::size_t at = p * channels + c;
      const std::int32_t product = (static_cast<std::int32_t>(input[at]) - input_zero_point) *
                                   (static_cast<std::int32_t>(gate[c]) - gate_zero_point);
      output[at] =
          static_cast<std::int8_t>(requantize(product, multiplier, output_zero_point, -128, 127));
    }
  }
}

/// The operations of scale_channels_int8 per element: two zero points, the product, and the
/// requantization.
inline constexpr ElementwiseOps scale_channels_int8_ops =
    ElementwiseOps{.adds = 2, .multiplies = 1} + requantize_ops;

/// The operations of quantize per element (multiply, two clamps, rounding add and subtract,
/// conversion, zero point) and of dequantize (zero point, conversion, multiply).
inline constexpr ElementwiseOps quantize_ops{.adds = 6, .multiplies = 1};
inline constexpr ElementwiseOps dequantize_ops{.adds = 2, .multiplies = 1};

/// out = clamp(round(x * inverse_scale) + zero_point): a float tensor into int8 (inverse_scale is
/// 1 / scale, computed once in float). NaN becomes -128.
[[gnu::noinline]] inline void quantize(std::size_t count, const float* input, float inverse_scale,
                                       std::int32_t zero_point, std::int8_t* output) {
  const float lowest = static_cast<float>(-128 - zero_point);
  const float highest = static_cast<float>(127 - zero_point);
  for (std::size_t i = 0; i < count; ++i) {
    float x = input[i] * inverse_scale;
    x = x > highest ? highest : x;
    x = x >= lowest ? x : lowest;
    output[i] =
        static_cast<std::int8_t>(static_cast<std::int32_t>(round_half_even(x)) + zero_point);
  }
}

/// out = scale * (q - zero_point).
[[gnu::noinline]] inline void dequantize(std::size_t count, const std::int8_t* input, float scale,
                                         std::int32_t zero_point, float* output) {
  for (std::size_t i = 0; i < count; ++i)
    output[i] = scale * static_cast<float>(input[i] - zero_point);
}

}  // namespace joule::inline JOULE_TARGET::kernels::elementwise
