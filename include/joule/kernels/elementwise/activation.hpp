// Activation functions. They are policies of the layer that produces a tensor (Conv2d<..., ReLU6>)
// and are applied as that layer's kernel stores its output, never as a pass of their own.
// Formulas follow PyTorch's definitions so that outputs match torchvision models. apply() takes a
// float; apply_batch() an xsimd batch, the same functions without vector divisions (exp through
// xsimd::exp, within a few ulp of std::exp; 1/6 and reciprocals multiplied), a few ulp apart.
// `ops` counts the operations of apply_batch per element (for the energy estimate: Cost's
// elementwise); an activation a user writes without `ops` counts as free.
#pragma once

#include <cmath>
#include <concepts>
#include <string_view>

#include "joule/arch/simd.hpp"
#include "joule/core/cost.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD
#define JOULE_BATCH_APPLY(expression)      \
  template <class B>                       \
  static B apply_batch(const B& x) {       \
    return expression;                     \
  }
#else
#define JOULE_BATCH_APPLY(expression)
#endif

JOULE_SIMD_CODE_BEGIN
namespace joule::inline JOULE_TARGET {

#if JOULE_SIMD
namespace detail {
/// exp(x) for x <= 0, what the logistic needs: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two
/// for exactness, after Cody and Waite), e^r by Cephes' degree-6 polynomial for expf, 2^n built in
/// the exponent bits. x is clamped at -87 so that 2^n stays a normal number; no overflow can occur.
/// n is rounded by adding 1.5 * 2^23 (+ the exponent bias): the sum's low mantissa bits are then
/// n + 127, ready to shift into place. Within 2 ulp of std::exp; 19 operations.
template <class B>
B exp_nonpositive(B x) {
  using I = xsimd::as_integer_t<B>;
  x = xsimd::max(x, B(-87.0f));
  constexpr float magic = 12582912.0f + 127.0f;
  const B shifted = xsimd::fma(x, B(1.44269504088896341f), B(magic));
  const B n = shifted - B(magic);
  B r = xsimd::fnma(n, B(0.693359375f), x);
  r = xsimd::fnma(n, B(-2.12194440e-4f), r);
  B p = B(1.9875691500e-4f);
  p = xsimd::fma(p, r, B(1.3981999507e-3f));
  p = xsimd::fma(p, r, B(8.3334519073e-3f));
  p = xsimd::fma(p, r, B(4.1665795894e-2f));
  p = xsimd::fma(p, r, B(1.6666665459e-1f));
  p = xsimd::fma(p, r, B(5.0000001201e-1f));
  p = xsimd::fma(p, r * r, r + B(1.0f));
  return p * xsimd::bitwise_cast<B>(xsimd::bitwise_cast<I>(shifted) << 23);
}

/// 1 / (1 + exp(-x)) without a division (a vector division costs as much as a dozen FMAs): with
/// t = exp(-|x|) in (0, 1], it is 1 / (1 + t) for x >= 0 and t / (1 + t) below; the reciprocal
/// estimate is refined by one Newton step, r (2 - d r), to about an ulp.
template <class B>
B logistic(const B& x) {
  const B t = exp_nonpositive(x | B(-0.0f));  // -|x|: the sign bit set
  const B d = B(1.0f) + t;
  B r = xsimd::reciprocal(d);
  r = r * xsimd::fnma(d, r, B(2.0f));
  return xsimd::select(x >= B(0.0f), r, t * r);
}
}  // namespace detail
#endif

struct Identity {
  static constexpr std::string_view name = "Identity";
  static constexpr ElementwiseOps ops{};
  static constexpr float apply(float x) { return x; }
  JOULE_BATCH_APPLY(x)
};

struct ReLU {
  static constexpr std::string_view name = "ReLU";
  static constexpr ElementwiseOps ops{.adds = 1};
  static constexpr float apply(float x) { return x > 0.0f ? x : 0.0f; }
  JOULE_BATCH_APPLY(xsimd::max(x, B(0.0f)))
};

struct ReLU6 {
  static constexpr std::string_view name = "ReLU6";
  static constexpr ElementwiseOps ops{.adds = 2};
  static constexpr float apply(float x) { return x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f; }
  JOULE_BATCH_APPLY(xsimd::min(xsimd::max(x, B(0.0f)), B(6.0f)))
};

/// relu6(x + 3) / 6, as torch.nn.Hardsigmoid (MobileNetV3's squeeze-excite gate).
struct HardSigmoid {
  static constexpr std::string_view name = "HardSigmoid";
  static constexpr ElementwiseOps ops{.adds = 3, .multiplies = 1};
  static constexpr float apply(float x) { return ReLU6::apply(x + 3.0f) / 6.0f; }
  JOULE_BATCH_APPLY(xsimd::min(xsimd::max(x + B(3.0f), B(0.0f)), B(6.0f)) * B(1.0f / 6.0f))
};

/// x * relu6(x + 3) / 6, as torch.nn.Hardswish (MobileNetV3).
struct HardSwish {
  static constexpr std::string_view name = "HardSwish";
  static constexpr ElementwiseOps ops{.adds = 3, .multiplies = 2};
  static constexpr float apply(float x) { return x * ReLU6::apply(x + 3.0f) / 6.0f; }
  JOULE_BATCH_APPLY(x * xsimd::min(xsimd::max(x + B(3.0f), B(0.0f)), B(6.0f)) * B(1.0f / 6.0f))
};

struct Sigmoid {
  static constexpr std::string_view name = "Sigmoid";
  // exp_nonpositive: 13 adds (the clamp, the rounding, 8 FMAs' adds, r + 1, the shift) and 11
  // multiplies; logistic: 5 adds (the sign, 1 + t, the Newton step's, compare and select) and 4
  // multiplies (the reciprocal estimate counted as one).
  static constexpr ElementwiseOps ops{.adds = 18, .multiplies = 15};

  static float apply(float x) { return 1.0f / (1.0f + std::exp(-x)); }
  JOULE_BATCH_APPLY(detail::logistic(x))
};

/// x * sigmoid(x), also called Swish (EfficientNet).
struct SiLU {
  static constexpr std::string_view name = "SiLU";
  static constexpr ElementwiseOps ops{.adds = 18, .multiplies = 16};  // Sigmoid's and x * it
  static float apply(float x) { return x / (1.0f + std::exp(-x)); }
  JOULE_BATCH_APPLY(x * detail::logistic(x))
};

#undef JOULE_BATCH_APPLY

/// The operations of activation A per element (none for an activation without `ops`).
template <class A>
constexpr ElementwiseOps activation_ops() {
  if constexpr (requires { A::ops; }) {
    return A::ops;
  } else {
    return ElementwiseOps{};
  }
}

template <class A>
concept Activation = requires(float x) {
  { A::name } -> std::convertible_to<std::string_view>;
  { A::apply(x) } -> std::same_as<float>;
};

}  // namespace joule::inline JOULE_TARGET
JOULE_SIMD_CODE_END
