// FixedString: a string literal usable as a template argument, for layer names such as
// Named<"features", ...>.
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <std::size_t N>
struct FixedString {
  char data[N]{};

  constexpr FixedString(const char (&text)[N]) {
    for (std::size_t i = 0; i < N; ++i) data[i] = text[i];
  }
  constexpr std::string_view view() const { return std::string_view(data, N - 1); }
};

}  // namespace joule::inline JOULE_TARGET
