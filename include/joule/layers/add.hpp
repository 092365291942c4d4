// Add<S, Act>: the element-wise sum that closes a residual connection, out = Act(a + b). It has
// two inputs, so it is not a spec of its own: Residual places it after its body.
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/cost.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/text.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/elementwise/dispatch.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <ShapeType S, Activation Act = Identity>
struct Add {
  using input = S;
  using output = S;
  static constexpr std::string_view kind = "Add";
  static constexpr std::size_t weight_floats = 0;
  static constexpr Cost cost = {
      .activation_read_bytes = 2 * S::size * sizeof(float),
      .activation_write_bytes = S::size * sizeof(float),
  };
  static constexpr auto description = Text<48>(Act::name);

  static constexpr kernels::KernelName kernel_name = kernels::elementwise::add_name();

  /// Either input may be the output buffer.
  static void run(const float* a, const float* b, float* out) { kernels::elementwise::add<Act>(S::size, a, b, out); }
};

}  // namespace joule::inline JOULE_TARGET
