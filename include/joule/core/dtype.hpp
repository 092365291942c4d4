// DType: the element types a tensor can hold. Bound layers say the dtype of their input and output,
// the arena plan sizes each tensor in bytes from it, and weight files say the dtype of each tensor.
//
//   DType::f32  float activations and weights
//   DType::i8   int8 activations (with a scale and zero point) and weights (symmetric)
//   DType::u8   uint8, for pipelines that hold images or activations as uint8
//   DType::i32  int32 biases and accumulators
//
//   value_t<DType::i8>   std::int8_t       dtype_of<float>   DType::f32
//   size_of(DType::i32)  4                 name_of(DType::u8) "u8"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

enum class DType : std::uint8_t { f32, i8, u8, i32 };

constexpr std::size_t size_of(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return 4;
    case DType::i8:
      return 1;
    case DType::u8:
      return 1;
    case DType::i32:
      return 4;
  }
  return 0;
}

/// The name in kernel names and reports: "f32", "i8", "u8", "i32".
constexpr std::string_view name_of(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "f32";
    case DType::i8:
      return "i8";
    case DType::u8:
      return "u8";
    case DType::i32:
      return "i32";
  }
  return "?";
}

/// The name in messages: "float32", "int8", "uint8", "int32".
constexpr std::string_view full_name_of(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "float32";
    case DType::i8:
      return "int8";
    case DType::u8:
      return "uint8";
    case DType::i32:
      return "int32";
  }
  return "?";
}

namespace detail {
template <DType D>
struct dtype_value;
template <>
struct dtype_value<DType::f32> {
  using type = float;
};
template <>
struct dtype_value<DType::i8> {
  using type = std::int8_t;
};
template <>
struct dtype_value<DType::u8> {
  using type = std::uint8_t;
};
template <>
struct dtype_value<DType::i32> {
  using type = std::int32_t;
};
}  // namespace detail

/// The C++ type of one element.
template <DType D>
using value_t = typename detail::dtype_value<D>::type;

namespace detail {
template <class T>
constexpr DType unsupported_element() {
  static_assert(sizeof(T) == 0,
                "joule: no DType holds this element type (float, int8_t, uint8_t, int32_t)");
  return DType::f32;
}
}  // namespace detail

/// The DType whose elements are T.
template <class T>
inline constexpr DType dtype_of = detail::unsupported_element<T>();
template <>
inline constexpr DType dtype_of<float> = DType::f32;
template <>
inline constexpr DType dtype_of<std::int8_t> = DType::i8;
template <>
inline constexpr DType dtype_of<std::uint8_t> = DType::u8;
template <>
inline constexpr DType dtype_of<std::int32_t> = DType::i32;

/// Bytes of `count` elements.
constexpr std::size_t bytes_of(std::size_t count, DType dtype) {
  return count * size_of(dtype);
}

}  // namespace joule::inline JOULE_TARGET
