// Nodes: the bound layers (leaves) and bound containers (Sequential, Residual, blocks) a network
// is made of, and the functions that treat both alike: how much arena a node needs, where it
// leaves its output, how it runs and how it is visited.
//
// A leaf provides: input, output, cost, weight_floats, scratch_floats, in_place, kind,
// description, kernel, part_names, tensors, pack(sources, storage),
// run(weights, in, out, scratch, context).
// A container provides: input, output, cost, weight_floats, kind, description,
// window_floats(Place), output_place(Place), execute(runner, weights, window, in) and
// visit_children(visitor, path, weight_offset, depth).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "joule/core/cost.hpp"
#include "joule/core/executor.hpp"
#include "joule/core/function_ref.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/graph/arena_plan.hpp"
#include "joule/graph/name_path.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <class T>
concept LeafNode = BoundLayer<T> && requires(const float* w, const float* in, float* out, const RunContext& c) {
  T::run(w, in, out, out, c);
};

template <class T>
concept ContainerNode = BoundLayer<T> && requires { T::window_floats(Place::bottom); };

/// What a visitor sees of each node of a network.
struct NodeInfo {
  std::string_view path;         // torchvision-style dotted name path
  std::string_view kind;         // "Conv2d", "InvertedResidual", ...
  std::string_view description;  // kernel, stride, activation, ...
  std::string_view kernel;       // the kernel the layer runs ("f32_dwconv_3x3s1__avx512bw"); empty for containers
  Extent input;
  Extent output;
  Cost cost;
  int depth = 0;
  bool leaf = false;
  /// Where the node's weights start in the network's weight storage, and how many floats.
  std::size_t weight_offset = 0;
  std::size_t weight_floats = 0;
  /// Leaves only: the PyTorch tensors the layer takes and how to pack them into its storage.
  std::span<const TensorSpec> tensors;
  std::span<const std::string_view> part_names;
  void (*pack)(const float* const* sources, float* storage) = nullptr;
};

/// Visitors receive every node through this, whatever their own type.
using NodeVisitor = FunctionRef<void(const NodeInfo&)>;

template <class Node>
constexpr std::size_t node_window_floats(Place in) {
  if constexpr (LeafNode<Node>) {
    return leaf_window_floats<Node>(in);
  } else {
    return Node::window_floats(in);
  }
}

template <class Node>
constexpr Place node_output_place(Place in) {
  if constexpr (LeafNode<Node>) {
    return leaf_output_place<Node>(in);
  } else {
    return Node::output_place(in);
  }
}

/// The most scratch any leaf inside the node needs: what each extra worker thread is given.
template <class Node>
constexpr std::size_t node_max_scratch_floats() {
  if constexpr (LeafNode<Node>) {
    return slot_floats(Node::scratch_floats);
  } else {
    return Node::max_scratch_floats;
  }
}

template <class Node, class Runner>
TensorRef execute_node(Runner& runner, const float* weights, Window window, TensorRef in) {
  if constexpr (LeafNode<Node>) {
    return execute_leaf<Node>(runner, weights, window, in);
  } else {
    return Node::execute(runner, weights, window, in);
  }
}

template <class Node>
NodeInfo node_info(const NamePath& path, std::size_t weight_offset, int depth) {
  NodeInfo info;
  info.path = path.view();
  info.kind = Node::kind;
  info.description = Node::description.view();
  info.input = extent_of<typename Node::input>;
  info.output = extent_of<typename Node::output>;
  info.cost = Node::cost;
  info.depth = depth;
  info.leaf = !ContainerNode<Node>;
  info.weight_offset = weight_offset;
  info.weight_floats = Node::weight_floats;
  if constexpr (requires { Node::kernel_name; }) info.kernel = Node::kernel_name.view();
  if constexpr (LeafNode<Node>) {
    info.tensors = Node::tensors;
    info.part_names = Node::part_names;
    info.pack = &Node::pack;
  }
  return info;
}

/// Calls visitor(NodeInfo) for the node and, for a container, every node inside it (pre-order).
template <class Node>
void visit_node(NodeVisitor visitor, NamePath& path, std::size_t weight_offset, int depth) {
  visitor(node_info<Node>(path, weight_offset, depth));
  if constexpr (ContainerNode<Node>) Node::visit_children(visitor, path, weight_offset, depth + 1);
}

/// The path segment of a container's child: its Named name if it has one, else its index.
template <class Child>
std::size_t push_child_segment(NamePath& path, int index) {
  if constexpr (requires { Child::segment; }) {
    return path.push(std::string_view(Child::segment));
  } else {
    return path.push(index);
  }
}

}  // namespace joule::inline JOULE_TARGET
