// Residual<L...>: out = x + body(x), the body being L... in sequence. The body must give back the
// shape it was given. In the arena the input stays put (the stash) while the body runs beside it;
// the sum is then written over the stash, so a residual costs its stash and nothing else.
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/alignment.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/target.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/node.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/layers/add.hpp"

namespace joule::inline JOULE_TARGET {

namespace detail {
/// Instantiated only when a residual's body changes the shape; the compiler prints both shapes
/// in the instantiation context of this assertion.
template <class BodyInput, class BodyOutput>
struct residual_shape_check {
  static_assert(std::is_same_v<BodyInput, BodyOutput>,
                "joule::Residual: the body changes the shape of its input, so the residual add "
                "cannot match them; the body must keep height, width and channels (stride 1, "
                "output channels equal to input channels)");
  static constexpr bool ok = std::is_same_v<BodyInput, BodyOutput>;
};
}  // namespace detail

template <ShapeType In, class Body, class AddOp = Add<In>>
struct BoundResidual {
  static_assert(detail::residual_shape_check<In, typename Body::output>::ok);
  using input = In;
  using output = In;
  using body = Body;
  using add = AddOp;
  static constexpr DType input_dtype = Body::input_dtype;
  static constexpr DType output_dtype = add::output_dtype;
  static constexpr bool adds_input = true;
  static constexpr std::string_view kind = "Residual";
  static constexpr Text<48> description{};
  static constexpr Cost cost = Body::cost + add::cost;
  static constexpr energy::Energy energy(const energy::EnergyTable& table,
                                         std::size_t network_weight_bytes) {
    return node_energy<Body>(table, network_weight_bytes) +
           node_energy<add>(table, network_weight_bytes);
  }
  /// The body's weights, then the sum's (none in float32).
  static constexpr std::size_t add_offset = aligned_bytes(Body::weight_bytes);
  static constexpr std::size_t weight_bytes =
      add::weight_bytes == 0 ? Body::weight_bytes : add_offset + add::weight_bytes;
  static constexpr std::size_t max_scratch_bytes = node_max_scratch_bytes<Body>();
  static constexpr std::size_t max_source_elements = node_max_source_elements<Body>();

  static constexpr std::size_t window_bytes(Place in) {
    const std::size_t body = node_window_bytes<Body>(Place::outside);
    return in == Place::outside ? body : slot_bytes(bytes_of(In::size, input_dtype)) + body;
  }
  static constexpr Place output_place(Place in) {
    return in == Place::outside ? node_output_place<Body>(Place::outside) : in;
  }

  template <class Runner>
  static TensorRef execute(Runner& runner, const std::byte* weights, Window window, TensorRef in) {
    const TensorRef outside{in.data, Place::outside};
    if (in.place == Place::outside) {
      // The input is an enclosing stash and outlives us: add into the body's output.
      const TensorRef body = execute_node<Body>(runner, weights, window, outside);
      runner.template add<add>(weights + add_offset, in.data, body.data, body.data);
      return body;
    }
    const std::size_t stash = slot_bytes(bytes_of(In::size, input_dtype));
    runner.stash_begin(in.data, stash);
    const TensorRef body = execute_node<Body>(runner, weights, window.without(in.place, stash), outside);
    runner.stash_end();
    runner.template add<add>(weights + add_offset, in.data, body.data, in.data);
    return in;
  }

  static void visit_children(NodeVisitor visitor, NamePath& path, std::size_t weight_offset, int depth) {
    Body::visit_children(visitor, path, weight_offset, depth);
    visitor(node_info<add>(path, weight_offset + add_offset, depth));
  }
};

template <class... Specs>
struct Residual : LayerSpec {
  static_assert(sizeof...(Specs) > 0, "joule::Residual: the body needs at least one layer");
  template <ShapeType In, class P = Float32>
  using bind =
      BoundResidual<In, bind_sequence_t<In, P, Specs...>, typename AddFor<P>::template type<In>>;
};

}  // namespace joule::inline JOULE_TARGET
