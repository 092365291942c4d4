// Nodes: the bound layers (leaves, core/leaf.hpp) and bound containers (Sequential, Residual,
// blocks) a network is made of, and the functions that treat both alike: how much arena a node
// needs, where it leaves its output, how it runs and how it is visited.
//
// A container provides: input, output, input_dtype, output_dtype, cost, weight_bytes, kind,
// description, max_scratch_bytes, max_source_elements, window_bytes(Place), output_place(Place),
// execute(runner, weights, window, in) and visit_children(visitor, path, weight_offset, depth).
// Anything else in a network must be a leaf: check_leaf says which member it lacks.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "joule/core/cost.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/function_ref.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/pack_sources.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/energy/estimate.hpp"
#include "joule/graph/arena_plan.hpp"
#include "joule/graph/name_path.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace joule::inline JOULE_TARGET {

template <class T>
concept ContainerNode = BoundLayer<T> && requires {
  T::window_bytes(Place::bottom);
};

/// What a visitor sees of each node of a network.
struct NodeInfo {
  std::string_view path;         // torchvision-style dotted name path
  std::string_view kind;         // "Conv2d", "InvertedResidual", ...
  std::string_view description;  // kernel, stride, activation, ...
  std::string_view kernel;       // the kernel the layer runs ("f32_dwconv_3x3s1__avx512bw"); empty for containers
  Extent input;
  Extent output;
  DType input_dtype = DType::f32;
  DType output_dtype = DType::f32;
  Cost cost;
  int depth = 0;
  bool leaf = false;
  /// Containers only: a residual, whose input is added to its body's output by the Add node that
  /// follows the body's nodes.
  bool residual = false;
  /// The Add node that closes a residual.
  bool residual_add = false;
  /// int8 leaves: index in `tensors` of the output's scale (zero point next); -1 when the output
  /// keeps the input's quantization (pooling) or is not int8.
  int output_quantization = -1;
  /// int8 leaves: the output_quantization tensors are the input's too (a network's int8 input).
  bool defines_input_quantization = false;
  /// int8 leaves: the float layer's tensors, and how they become this layer's.
  std::span<const TensorSpec> float_tensors;
  void (*quantize)(const PackSources& floats, void* const* outputs) = nullptr;
  /// Where the node's weights start in the network's weight storage, and how many bytes.
  std::size_t weight_offset = 0;
  std::size_t weight_bytes = 0;
  /// Leaves only: the PyTorch tensors the layer takes and how to pack them into its storage.
  std::span<const TensorSpec> tensors;
  std::span<const std::string_view> part_names;
  void (*pack)(const PackSources& sources, std::byte* storage) = nullptr;
};

/// Visitors receive every node through this, whatever their own type.
using NodeVisitor = FunctionRef<void(const NodeInfo&)>;

template <class Node>
constexpr std::size_t node_window_bytes(Place in) {
  if constexpr (ContainerNode<Node>) {
    return Node::window_bytes(in);
  } else {
    // A node that is not a container is a leaf; the check names what a faulty one lacks.
    static_assert(check_leaf<Node>::ok);
    return leaf_window_bytes<Node>(in);
  }
}

template <class Node>
constexpr Place node_output_place(Place in) {
  if constexpr (ContainerNode<Node>) {
    return Node::output_place(in);
  } else {
    return leaf_output_place<Node>(in);
  }
}

/// The most scratch any leaf inside the node needs: what each extra worker thread is given.
template <class Node>
constexpr std::size_t node_max_scratch_bytes() {
  if constexpr (ContainerNode<Node>) {
    return Node::max_scratch_bytes;
  } else {
    return slot_bytes(Node::scratch_bytes);
  }
}

/// Elements of all the PyTorch tensors of the leaf inside the node that takes the most: what a
/// source that makes its tensors on request (DeterministicWeights) must hold at once.
template <class Node>
constexpr std::size_t node_max_source_elements() {
  if constexpr (ContainerNode<Node>) {
    return Node::max_source_elements;
  } else {
    std::size_t total = 0;
    for (const TensorSpec& spec : Node::tensors) total += spec.elements();
    return total;
  }
}

/// The estimated energy of one inference of the node (energy/estimate.hpp), its layers' figures
/// added; `network_weight_bytes` are the weights of the whole network it is part of.
template <class Node>
constexpr energy::Energy node_energy(const energy::EnergyTable& table,
                                     std::size_t network_weight_bytes) {
  if constexpr (ContainerNode<Node>) {
    return Node::energy(table, network_weight_bytes);
  } else {
    return energy::estimate(Node::cost, Node::input_dtype, network_weight_bytes, table);
  }
}

template <class Node, class Runner>
TensorRef execute_node(Runner& runner, const std::byte* weights, Window window, TensorRef in) {
  if constexpr (ContainerNode<Node>) {
    return Node::execute(runner, weights, window, in);
  } else {
    return execute_leaf<Node>(runner, weights, window, in);
  }
}

/// The name of the kernel a leaf runs, with static storage (NodeInfo holds a view of it).
template <class Node>
inline constexpr kernels::KernelName kernel_name_of = Node::kernel_record.name();

template <class Node>
NodeInfo node_info(const NamePath& path, std::size_t weight_offset, int depth) {
  NodeInfo info;
  info.path = path.view();
  info.kind = Node::kind;
  info.description = Node::description.view();
  info.input = extent_of<typename Node::input>;
  info.output = extent_of<typename Node::output>;
  info.input_dtype = Node::input_dtype;
  info.output_dtype = Node::output_dtype;
  info.cost = Node::cost;
  info.depth = depth;
  info.leaf = !ContainerNode<Node>;
  info.weight_offset = weight_offset;
  info.weight_bytes = Node::weight_bytes;
  if constexpr (ContainerNode<Node>) {
    if constexpr (requires { Node::adds_input; }) info.residual = Node::adds_input;
  } else {
    info.kernel = kernel_name_of<Node>.view();
    info.tensors = Node::tensors;
    info.part_names = Node::part_names;
    info.pack = &Node::pack;
    info.output_quantization = Node::output_quantization;
    info.defines_input_quantization = Node::defines_input_quantization;
    info.float_tensors = Node::float_tensors;
    info.quantize = &Node::quantize;
    if constexpr (requires { Node::closes_residual; }) info.residual_add = Node::closes_residual;
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
