// Alignment of activations and weights. Every tensor the library places starts on a 64-byte
// boundary: a full AVX-512 register or cache line, and a multiple of every narrower SIMD width.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

inline constexpr std::size_t tensor_alignment = 64;
inline constexpr std::size_t floats_per_alignment = tensor_alignment / sizeof(float);

constexpr std::size_t round_up(std::size_t value, std::size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

/// Bytes a block of `bytes` bytes occupies when the next one must stay aligned.
constexpr std::size_t aligned_bytes(std::size_t bytes) {
  return round_up(bytes, tensor_alignment);
}

/// Number of floats a tensor of `count` floats occupies when the next one must stay aligned.
constexpr std::size_t aligned_floats(std::size_t count) {
  return round_up(count, floats_per_alignment);
}

inline bool is_aligned(const void* pointer, std::size_t alignment = tensor_alignment) {
  return reinterpret_cast<std::uintptr_t>(pointer) % alignment == 0;
}

}  // namespace joule::inline JOULE_TARGET
