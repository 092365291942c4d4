// float16 (IEEE 754 binary16) and bfloat16 to float32. Checkpoints are often saved in half
// precision; joule computes in float32, and every half value has an exact float32, so the
// conversion is bit exact: signed zeros, subnormals, infinities, and NaN payloads (a NaN stays a
// NaN with its payload in the high mantissa bits).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::io {

constexpr float float16_to_float32(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fu;
  std::uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1f) {  // infinity or NaN: float32's all-ones exponent, same payload
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent != 0) {  // normal: rebias 15 -> 127
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  }
  if (mantissa == 0) return std::bit_cast<float>(sign);
  // Subnormal half: value = mantissa * 2^-24, a normal float32. Shift the leading one up to the
  // implicit bit position, lowering the exponent once per shift.
  std::uint32_t float_exponent = 113;  // the exponent half's subnormals share with exponent 1
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --float_exponent;
  }
  return std::bit_cast<float>(sign | (float_exponent << 23) | ((mantissa & 0x3ffu) << 13));
}

/// bfloat16 is the top half of a float32.
constexpr float bfloat16_to_float32(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

/// Converts little-endian 16-bit values from `bytes` (any alignment; an odd last byte is ignored)
/// into `out`, which holds bytes.size() / 2 floats.
inline void float16_bytes_to_float32(std::span<const unsigned char> bytes, float* out) {
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
    out[i / 2] = float16_to_float32(static_cast<std::uint16_t>(bytes[i] | (bytes[i + 1] << 8)));
}
inline void bfloat16_bytes_to_float32(std::span<const unsigned char> bytes, float* out) {
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
    out[i / 2] = bfloat16_to_float32(static_cast<std::uint16_t>(bytes[i] | (bytes[i + 1] << 8)));
}

}  // namespace joule::inline JOULE_TARGET::io
