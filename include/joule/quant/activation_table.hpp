// The int8 form of an activation: a 256-entry table from the int8 value before it (with the
// parameters of the convolution's output) to the int8 value after it (with the activation's
// output parameters), computed when weights are packed. ReLU, ReLU6 and Identity need no table:
// they are clamps of the requantized value (clamp_for below).
//
// Tables must have the same bits on every target, also where weights are packed on the target
// itself, so every operation is one IEEE operation whose result is stored (exact(): a volatile
// round trip, which no compiler may contract into an FMA or keep in a wider register), and the
// exponential is computed here from basic operations, not by the C library (whose expf differs
// between glibc, newlib and others in the last bit).
#pragma once

#include <cstdint>

#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/quant/params.hpp"

namespace joule::inline JOULE_TARGET::quant {

namespace detail {
/// The value rounded to its type and kept there (see the top of this file).
template <class T>
inline T exact(T x) {
  volatile T stored = x;
  return stored;
}

/// e^x in double from IEEE basic operations only: x = k ln2 + r with |r| <= ln2 / 2 (ln2 in two
/// parts, after Cody and Waite, so that k ln2 is exact), e^r by its Taylor series to r^13 / 13!
/// (below 1e-17 relative for |r| <= 0.35), times 2^k built in the exponent bits. For |x| <= 700.
inline double exp_basic(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // ln 2 with its low 32 bits zero
  constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln 2 - ln2_hi
  constexpr double inv_ln2 = 1.44269504088896338700e+00;
  if (x > 700.0) x = 700.0;
  if (x < -700.0) x = -700.0;
  const double k =
      exact(exact(x * inv_ln2) + 6755399441055744.0) - 6755399441055744.0;  // round half even
  const double r = exact(x - exact(k * ln2_hi)) - exact(k * ln2_lo);
  double sum = 1.0;
  double term = 1.0;
  for (int n = 1; n <= 13; ++n) {
    term = exact(exact(term * r) / n);
    sum = exact(sum + term);
  }
  // 2^k for |k| <= 1010: split in two factors that are normal numbers.
  const int kk = static_cast<int>(k);
  const auto power_of_two = [](int e) {
    double p = 1.0;
    for (int i = 0; i < e; ++i) p *= 2.0;
    for (int i = 0; i > e; --i) p *= 0.5;
    return p;
  };
  return exact(exact(sum * power_of_two(kk / 2)) * power_of_two(kk - kk / 2));
}

/// The activation in float, each step exact (the formulas of activation.hpp and PyTorch's).
template <Activation Act>
inline float activate_exact(float x) {
  if constexpr (std::is_same_v<Act, HardSwish> || std::is_same_v<Act, HardSigmoid>) {
    float t = exact(x + 3.0f);
    t = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
    if constexpr (std::is_same_v<Act, HardSwish>)
      return exact(exact(x * t) / 6.0f);
    else
      return exact(t / 6.0f);
  } else if constexpr (std::is_same_v<Act, Sigmoid> || std::is_same_v<Act, SiLU>) {
    const float e = static_cast<float>(exp_basic(-static_cast<double>(x)));
    const float sigmoid = exact(1.0f / exact(1.0f + e));
    if constexpr (std::is_same_v<Act, SiLU>)
      return exact(x * sigmoid);
    else
      return sigmoid;
  } else {
    return Act::apply(x);
  }
}
}  // namespace detail

/// Whether Act runs as a table in int8 (otherwise it is a clamp).
template <Activation Act>
inline constexpr bool needs_table =
    std::is_same_v<Act, HardSwish> || std::is_same_v<Act, HardSigmoid> ||
    std::is_same_v<Act, SiLU> || std::is_same_v<Act, Sigmoid>;

/// The int8 range a clamp activation leaves of the output (Identity: all of it; ReLU: from the
/// zero point; ReLU6: up to the value of 6 as well). With relu6_as_relu, ReLU6 clamps as ReLU (the
/// network was quantized after its ReLU6 were replaced by ReLU, as torchvision's quantizable
/// MobileNetV2 does).
struct Clamp {
  std::int32_t low = q_min;
  std::int32_t high = q_max;
};

template <Activation Act>
inline Clamp clamp_for(QuantParams out, bool relu6_as_relu = false) {
  static_assert(!needs_table<Act>, "joule int8: this activation is a table, not a clamp");
  Clamp clamp;
  if constexpr (std::is_same_v<Act, ReLU> || std::is_same_v<Act, ReLU6>) clamp.low = out.zero_point;
  if constexpr (std::is_same_v<Act, ReLU6>) {
    // The int8 value of 6, when it is inside the range (6 / scale is below 255 then, where the
    // rounding of round_half_even holds).
    const float six = detail::exact(6.0f / out.scale);
    if (!relu6_as_relu && six < 255.0f) {
      const float high = round_half_even(six) + static_cast<float>(out.zero_point);
      if (high < static_cast<float>(q_max)) clamp.high = static_cast<std::int32_t>(high);
    }
  }
  return clamp;
}

/// table[q + 128] = the int8 value, with parameters `out`, of y = Act(in.scale * (q -
/// in.zero_point)), as QNNPACK builds its activation tables (so that PyTorch-quantized models give
/// PyTorch's integers): rint(clamp((1 / out.scale) * y + (out.zero_point + 128), 0, 255)) - 128,
/// the zero point added in float before rounding, as the uint8 number PyTorch holds.
template <Activation Act>
inline void build_table(QuantParams in, QuantParams out, std::int8_t* table) {
  const float inverse = 1.0f / out.scale;
  const float zero = static_cast<float>(out.zero_point - q_min);
  for (std::int32_t q = q_min; q <= q_max; ++q) {
    const float x = detail::exact(in.scale * static_cast<float>(q - in.zero_point));
    float v = detail::exact(detail::exact(inverse * detail::activate_exact<Act>(x)) + zero);
    v = v > 255.0f ? 255.0f : v;
    v = v >= 0.0f ? v : 0.0f;
    table[q - q_min] =
        static_cast<std::int8_t>(static_cast<std::int32_t>(round_half_even(v)) + q_min);
  }
}

}  // namespace joule::inline JOULE_TARGET::quant
