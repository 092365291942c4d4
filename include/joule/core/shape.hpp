// Shape<H, W, C>: the compile-time extent of one NHWC activation tensor (batch 1).
#pragma once

#include <cstddef>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <int H, int W, int C>
struct Shape {
  static_assert(H > 0 && W > 0 && C > 0,
                "joule::Shape: height, width and channels must all be positive");
  static constexpr int height = H;
  static constexpr int width = W;
  static constexpr int channels = C;
  static constexpr std::size_t pixels = static_cast<std::size_t>(H) * W;
  static constexpr std::size_t size = pixels * C;
};

namespace detail {
template <class T>
inline constexpr bool is_shape = false;
template <int H, int W, int C>
inline constexpr bool is_shape<Shape<H, W, C>> = true;
}  // namespace detail

/// Satisfied by every Shape<H, W, C>.
template <class T>
concept ShapeType = detail::is_shape<T>;

/// The same extent at run time: what kernels and reports work with.
struct Extent {
  int height = 0;
  int width = 0;
  int channels = 0;

  constexpr std::size_t size() const {
    return static_cast<std::size_t>(height) * width * channels;
  }
  friend constexpr bool operator==(const Extent&, const Extent&) = default;
};

template <ShapeType S>
inline constexpr Extent extent_of = Extent{S::height, S::width, S::channels};

}  // namespace joule::inline JOULE_TARGET
