// What makes a type a layer.
//
// A layer *spec* is the empty type a user writes (Conv2d<16, 3, 2, ReLU6>). It names only what
// the layer adds; the input shape arrives later, when a container binds the spec to the shape
// flowing into it, in the network's precision: `Spec::bind<InShape, Precision>` is the *bound
// layer*, the type that knows both shapes, the cost, the weight storage and how to run.
#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>

#include "joule/core/cost.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// Base of every layer spec; being derived from it is what Network and Sequential check.
struct LayerSpec {};

template <class T>
concept LayerSpecType = std::is_base_of_v<LayerSpec, T>;

/// A spec bound to an input shape: a leaf (core/leaf.hpp) or a container (graph/node.hpp).
template <class T>
concept BoundLayer = requires {
  typename T::input;
  typename T::output;
  requires ShapeType<typename T::input> && ShapeType<typename T::output>;
  { T::cost } -> std::convertible_to<Cost>;
  { T::weight_bytes } -> std::convertible_to<std::size_t>;
};

/// Spec bound to input shape In in precision P (core/precision.hpp).
template <LayerSpecType Spec, ShapeType In, class P = Float32>
using bind_t = typename Spec::template bind<In, P>;

}  // namespace joule::inline JOULE_TARGET
