// QuantParams: how an int8 activation tensor stands for real numbers,
//   real = scale * (q - zero_point),   q in [-128, 127],
// one scale and zero point per tensor. Binding hands each int8 layer the parameters of its input
// (PackSources::input); the layer's own tensors hold those of its output. See quant/params.hpp.
#pragma once

#include <cstdint>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

struct QuantParams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;

  friend constexpr bool operator==(const QuantParams&, const QuantParams&) = default;
};

}  // namespace joule::inline JOULE_TARGET
