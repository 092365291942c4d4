// Add<S, Act>: the element-wise sum that closes a residual connection, out = Act(a + b). It has
// two inputs, so it is not a spec of its own: Residual places it after its body, and runs it
// through the runner's add() rather than leaf().
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/cost.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"
#include "joule/core/text.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/elementwise/dispatch.hpp"

namespace joule::inline JOULE_TARGET {

/// The sum at the end of a residual, in float32. It follows the leaf protocol for its names, costs
/// and weights (none in float32), but runs on two inputs: run(weights, a, b, out).
template <ShapeType S, Activation Act = Identity>
struct Add : LeafBase {
  using input = S;
  using output = S;
  static constexpr std::string_view kind = "Add";
  static constexpr Cost cost = {
      .activation_read_bytes = 2 * S::size * sizeof(float),
      .activation_write_bytes = S::size * sizeof(float),
      .elementwise = ElementwiseOps{.adds = 1} * S::size,
  };
  static constexpr auto description = Text<48>(Act::name);
  static constexpr kernels::KernelRecord kernel_record = kernels::elementwise::choose_add();
  static constexpr bool closes_residual = true;

  /// Either input may be the output buffer.
  static void run(const std::byte*, const float* a, const float* b, float* out) {
    kernels::elementwise::add<kernel_record, Act>(S::size, a, b, out);
  }
};

/// Which sum closes a residual in precision P.
template <class P>
struct AddFor : no_implementation<P> {};
template <>
struct AddFor<Float32> {
  template <ShapeType S>
  using type = Add<S>;
};

}  // namespace joule::inline JOULE_TARGET
