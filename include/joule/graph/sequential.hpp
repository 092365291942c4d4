// Sequential<L...>: layers run one after the other; each is bound to the shape the previous one
// produces, so a layer names only what it adds.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "joule/core/alignment.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/target.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/node.hpp"

namespace joule::inline JOULE_TARGET {

/// The chain of bound nodes: BoundSequence<B...> where each B is bound to its predecessor's output.
template <class... Nodes>
struct BoundSequence;

namespace detail {

template <class Done, class P, ShapeType In, class... Specs>
struct bind_chain;

template <class... Done, class P, ShapeType In>
struct bind_chain<BoundSequence<Done...>, P, In> {
  using type = BoundSequence<Done...>;
};

template <class... Done, class P, ShapeType In, class Spec, class... Rest>
struct bind_chain<BoundSequence<Done...>, P, In, Spec, Rest...> {
  static_assert(LayerSpecType<Spec>,
                "joule: every layer of a Network, Sequential or Residual must be a layer spec "
                "(Conv2d<...>, InvertedResidual<...>, ...); see the template argument above");
  using bound = bind_t<Spec, In, P>;
  static_assert(std::is_same_v<typename bound::input, In>,
                "joule: a bound layer's input must be the shape it was bound to");
  using type =
      typename bind_chain<BoundSequence<Done..., bound>, P, typename bound::output, Rest...>::type;
};

}  // namespace detail

/// Binds Specs... in a chain starting from In, in precision P.
template <ShapeType In, class P, class... Specs>
using bind_sequence_t = typename detail::bind_chain<BoundSequence<>, P, In, Specs...>::type;

template <class... Nodes>
struct BoundSequence {
  static_assert(sizeof...(Nodes) > 0, "joule::Sequential: a sequence needs at least one layer");
  using nodes = BoundSequence;
  static constexpr std::size_t count = sizeof...(Nodes);
  template <std::size_t Index>
  using nth = std::tuple_element_t<Index, std::tuple<Nodes...>>;
  using first = std::tuple_element_t<0, std::tuple<Nodes...>>;
  using last = std::tuple_element_t<count - 1, std::tuple<Nodes...>>;
  using input = typename first::input;
  using output = typename last::output;
  static constexpr DType input_dtype = first::input_dtype;
  static constexpr DType output_dtype = last::output_dtype;
  static constexpr std::string_view kind = "Sequential";
  static constexpr Text<48> description{};
  static constexpr Cost cost = (Nodes::cost + ...);
  static constexpr energy::Energy energy(const energy::EnergyTable& table,
                                         std::size_t network_weight_bytes) {
    return (node_energy<Nodes>(table, network_weight_bytes) + ...);
  }

  /// Each child's weights start aligned, at these byte offsets from the sequence's own.
  static constexpr std::array<std::size_t, count + 1> weight_offsets = [] {
    std::array<std::size_t, count + 1> offsets{};
    const std::array<std::size_t, count> sizes{Nodes::weight_bytes...};
    for (std::size_t i = 0; i < count; ++i) offsets[i + 1] = offsets[i] + aligned_bytes(sizes[i]);
    return offsets;
  }();
  static constexpr std::size_t weight_bytes = weight_offsets[count];
  static constexpr std::size_t max_scratch_bytes = std::max({node_max_scratch_bytes<Nodes>()...});
  static constexpr std::size_t max_source_elements =
      std::max({node_max_source_elements<Nodes>()...});

  static constexpr std::size_t window_bytes(Place in) {
    std::size_t most = 0;
    Place place = in;
    ((most = std::max(most, node_window_bytes<Nodes>(place)),
      place = node_output_place<Nodes>(place)),
     ...);
    return most;
  }
  static constexpr Place output_place(Place in) {
    Place place = in;
    ((place = node_output_place<Nodes>(place)), ...);
    return place;
  }

  template <class Runner>
  static TensorRef execute(Runner& runner, const std::byte* weights, Window window, TensorRef in) {
    std::size_t index = 0;
    ((in = execute_node<Nodes>(runner, weights + weight_offsets[index++], window, in)), ...);
    return in;
  }

  /// Children are named by index unless Named, the way nn.Sequential names them.
  static void visit_children(NodeVisitor visitor, NamePath& path, std::size_t weight_offset, int depth) {
    int index = 0;
    (
        [&] {
          const std::size_t mark = push_child_segment<Nodes>(path, index);
          visit_node<Nodes>(visitor, path, weight_offset + weight_offsets[index], depth);
          path.pop(mark);
          ++index;
        }(),
        ...);
  }
};

template <class... Specs>
struct Sequential : LayerSpec {
  static_assert(sizeof...(Specs) > 0, "joule::Sequential: a sequence needs at least one layer");
  template <ShapeType In, class P = Float32>
  using bind = bind_sequence_t<In, P, Specs...>;
};

}  // namespace joule::inline JOULE_TARGET
