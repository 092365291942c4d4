// TensorView<T, S>: a non-owning NHWC view of one activation tensor whose shape is a type.
// Element (h, w, c) lives at data[(h * W + w) * C + c].
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

#include "joule/core/alignment.hpp"
#include "joule/core/assert.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <class T, ShapeType S>
class TensorView {
 public:
  using shape = S;
  using value_type = std::remove_const_t<T>;
  static constexpr std::size_t size = S::size;

  constexpr TensorView() = default;
  constexpr explicit TensorView(T* data) : data_(data) {}
  constexpr explicit TensorView(std::span<T, S::size> data) : data_(data.data()) {}
  /// A view of mutable data can be read through a view of const data.
  constexpr TensorView(const TensorView<value_type, S>& other)
    requires std::is_const_v<T>
      : data_(other.data()) {}

  constexpr T* data() const { return data_; }
  constexpr std::span<T, S::size> span() const { return std::span<T, S::size>(data_, S::size); }
  constexpr T& operator()(int h, int w, int c) const {
    JOULE_ASSERT(h >= 0 && h < S::height && w >= 0 && w < S::width && c >= 0 && c < S::channels);
    return data_[(static_cast<std::size_t>(h) * S::width + w) * S::channels + c];
  }
  constexpr T& operator[](std::size_t index) const { return data_[index]; }
  /// True when the data starts on the library's tensor alignment (64 bytes).
  bool aligned() const { return is_aligned(data_); }

 private:
  T* data_ = nullptr;
};

}  // namespace joule::inline JOULE_TARGET
