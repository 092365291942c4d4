// Activation functions. They are policies of the layer that produces a tensor (Conv2d<..., ReLU6>)
// and are applied as that layer's kernel stores its output, never as a pass of their own.
// Formulas follow PyTorch's definitions so that outputs match torchvision models. apply() takes a
// float; apply_batch() an xsimd batch (exp through xsimd::exp, within a few ulp of std::exp).
#pragma once

#include <cmath>
#include <concepts>
#include <string_view>

#include "joule/arch/simd.hpp"

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
namespace joule {

struct Identity {
  static constexpr std::string_view name = "Identity";
  static constexpr float apply(float x) { return x; }
  JOULE_BATCH_APPLY(x)
};

struct ReLU {
  static constexpr std::string_view name = "ReLU";
  static constexpr float apply(float x) { return x > 0.0f ? x : 0.0f; }
  JOULE_BATCH_APPLY(xsimd::max(x, B(0.0f)))
};

struct ReLU6 {
  static constexpr std::string_view name = "ReLU6";
  static constexpr float apply(float x) { return x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f; }
  JOULE_BATCH_APPLY(xsimd::min(xsimd::max(x, B(0.0f)), B(6.0f)))
};

/// relu6(x + 3) / 6, as torch.nn.Hardsigmoid (MobileNetV3's squeeze-excite gate).
struct HardSigmoid {
  static constexpr std::string_view name = "HardSigmoid";
  static constexpr float apply(float x) { return ReLU6::apply(x + 3.0f) / 6.0f; }
  JOULE_BATCH_APPLY(xsimd::min(xsimd::max(x + B(3.0f), B(0.0f)), B(6.0f)) / B(6.0f))
};

/// x * relu6(x + 3) / 6, as torch.nn.Hardswish (MobileNetV3).
struct HardSwish {
  static constexpr std::string_view name = "HardSwish";
  static constexpr float apply(float x) { return x * ReLU6::apply(x + 3.0f) / 6.0f; }
  JOULE_BATCH_APPLY(x * xsimd::min(xsimd::max(x + B(3.0f), B(0.0f)), B(6.0f)) / B(6.0f))
};

struct Sigmoid {
  static constexpr std::string_view name = "Sigmoid";
  static float apply(float x) { return 1.0f / (1.0f + std::exp(-x)); }
  JOULE_BATCH_APPLY(B(1.0f) / (B(1.0f) + xsimd::exp(-x)))
};

/// x * sigmoid(x), also called Swish (EfficientNet).
struct SiLU {
  static constexpr std::string_view name = "SiLU";
  static float apply(float x) { return x / (1.0f + std::exp(-x)); }
  JOULE_BATCH_APPLY(x / (B(1.0f) + xsimd::exp(-x)))
};

#undef JOULE_BATCH_APPLY

template <class A>
concept Activation = requires(float x) {
  { A::name } -> std::convertible_to<std::string_view>;
  { A::apply(x) } -> std::same_as<float>;
};

}  // namespace joule
JOULE_SIMD_CODE_END
