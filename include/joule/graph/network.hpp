// Network<InShape, L...>: a whole static network. The input shape flows through the layers at
// compile time; every memory need is a constant of the type:
//   Net::weight_bytes   bytes of (folded, packed) weights,
//   Net::arena_bytes    the activation arena, input and output included,
//   Net::energy()       the estimated energy of one inference (energy/estimate.hpp),
// and the network runs inside that arena with no heap use.
//
//   static Net::Weights weights;   // bound with bind_weights<Net>(...) or compiled in
//   static Net::Arena arena;
//   Net net(weights, arena);
//   net.forward(input, output);      // or write input_tensor(), run(), read output_tensor()
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>

#include "joule/core/alignment.hpp"
#include "joule/core/assert.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_view.hpp"
#include "joule/graph/arena_plan.hpp"
#include "joule/graph/node.hpp"
#include "joule/graph/sequential.hpp"

namespace joule::inline JOULE_TARGET {

/// The bound top-level sequence of a network in precision P. A precision whose networks take or
/// give other tensors than their layers (int8 quantizes its float input and dequantizes its
/// output) specializes this (quant/quantized.hpp).
template <class P, ShapeType In, class... Layers>
struct network_root {
  using type = bind_sequence_t<In, P, Layers...>;
};

/// A network in precision P; Network<In, Layers...> is the float32 one.
template <class P, ShapeType In, class... Layers>
class BasicNetwork {
  static_assert(sizeof...(Layers) > 0, "joule::Network: a network needs at least one layer");

 public:
  using precision = P;
  /// The same layers in another precision: quant::Quantized<Net> is Net::with_precision<Int8>.
  template <class Other>
  using with_precision = BasicNetwork<Other, In, Layers...>;
  /// The bound top-level sequence; its children are named by index unless Named.
  using root = typename network_root<P, In, Layers...>::type;
  using input = In;
  using output = typename root::output;
  static constexpr DType input_dtype = root::input_dtype;
  static constexpr DType output_dtype = root::output_dtype;
  /// Element types of the input and output tensors (float for a float network).
  using input_value = value_t<input_dtype>;
  using output_value = value_t<output_dtype>;

  static constexpr Cost cost = root::cost;
  static constexpr std::size_t weight_bytes = root::weight_bytes;
  /// Estimated energy of one inference, in picojoules by where it goes (energy/estimate.hpp):
  /// a compile-time figure, `static_assert(Net::energy().total_uj() < 50.0)` is a budget.
  static constexpr energy::Energy energy(const energy::EnergyTable& table = energy::horowitz_45nm) {
    return root::energy(table, weight_bytes);
  }
  /// Elements of the PyTorch tensors of the layer that takes the most (for DeterministicWeights).
  static constexpr std::size_t max_source_elements = root::max_source_elements;

  static constexpr std::size_t input_bytes = bytes_of(In::size, input_dtype);
  static constexpr std::size_t output_bytes = bytes_of(output::size, output_dtype);
  /// The input sits at the bottom of the arena when the network starts.
  static constexpr std::size_t arena_bytes = std::max(
      {slot_bytes(input_bytes), root::window_bytes(Place::bottom), slot_bytes(output_bytes)});
  static constexpr Place output_place = root::output_place(Place::bottom);

  /// With T threads, layers that split their rows need scratch for each extra worker, placed after
  /// the single-thread arena: arena_bytes_for(T) = arena_bytes + (T - 1) x the largest scratch.
  static constexpr std::size_t worker_scratch_bytes = root::max_scratch_bytes;
  static constexpr std::size_t arena_bytes_for(int threads) {
    return arena_bytes +
           (threads > 1 ? static_cast<std::size_t>(threads - 1) * worker_scratch_bytes : 0);
  }
  /// Where the output is in the arena when run() returns, in bytes from its start.
  static constexpr std::size_t output_offset =
      output_place == Place::bottom ? 0 : arena_bytes - slot_bytes(output_bytes);

  /// Storage with the right size and alignment for weights and arena.
  struct alignas(tensor_alignment) Weights {
    std::byte data[weight_bytes > 0 ? weight_bytes : 1];
    std::span<std::byte, weight_bytes> span() {
      return std::span<std::byte, weight_bytes>(data, weight_bytes);
    }
    std::span<const std::byte, weight_bytes> span() const {
      return std::span<const std::byte, weight_bytes>(data, weight_bytes);
    }
  };
  struct alignas(tensor_alignment) Arena {
    std::byte data[arena_bytes];
  };

  /// An executor (a thread pool on hosted builds) splits each layer's work; without one the
  /// network runs on the calling thread. Arena is sized for one thread: layers that need scratch
  /// per thread then use one part; the span constructor takes an arena of arena_bytes_for(T).
  BasicNetwork(const Weights& weights, Arena& arena, Executor* executor = nullptr)
      : BasicNetwork(weights.data, arena.data, arena_bytes, executor) {}
  /// Weights and arena placed by the caller (a linker section, compiled-in constants:
  /// std::as_bytes(std::span(array))). Both must start on a 64-byte boundary; the arena must hold
  /// at least arena_bytes.
  BasicNetwork(std::span<const std::byte, weight_bytes> weights, std::span<std::byte> arena,
               Executor* executor = nullptr)
      : BasicNetwork(weights.data(), arena.data(), arena.size(), executor) {}

  /// Copies `in` into the arena, runs, copies the result to `out`.
  void forward(TensorView<const input_value, In> in, TensorView<output_value, output> out) {
    std::copy_n(in.data(), In::size, input_tensor().data());
    run();
    std::copy_n(output_tensor().data(), output::size, out.data());
  }
  void forward(std::span<const input_value, In::size> in,
               std::span<output_value, output::size> out) {
    forward(TensorView<const input_value, In>(in), TensorView<output_value, output>(out));
  }

  /// Zero-copy use: write the input here, run(), read output_tensor().
  TensorView<input_value, In> input_tensor() const {
    return TensorView<input_value, In>(reinterpret_cast<input_value*>(arena_));
  }
  TensorView<const output_value, output> output_tensor() const {
    return TensorView<const output_value, output>(
        reinterpret_cast<const output_value*>(arena_ + output_offset));
  }
  void run() {
    KernelRunner runner{context_};
    execute(runner, weights_, arena_);
  }

  /// How layers run: the executor and the extra threads' scratch (for runners built by tools).
  const RunContext& context() const { return context_; }

  /// Runs the plan through any runner (KernelRunner runs kernels; tests and tools observe).
  template <class Runner>
  static TensorRef execute(Runner& runner, const std::byte* weights, std::byte* arena) {
    const TensorRef out = root::execute(runner, weights, Window{arena, 0, arena_bytes},
                                        TensorRef{arena, Place::bottom});
    JOULE_ASSERT(out.data == arena + output_offset);
    return out;
  }

  /// Calls visitor(const NodeInfo&) for every node, containers before their contents.
  static void visit(NodeVisitor visitor) {
    NamePath path;
    root::visit_children(visitor, path, 0, 0);
  }

 private:
  BasicNetwork(const std::byte* weights, std::byte* arena, std::size_t arena_size,
               Executor* executor)
      : weights_(weights), arena_(arena) {
    JOULE_ASSERT(is_aligned(weights_) && is_aligned(arena_) && arena_size >= arena_bytes);
    context_.executor = executor;
    context_.worker_scratch = arena_ + arena_bytes;
    context_.worker_scratch_bytes = worker_scratch_bytes;
    context_.worker_scratch_parts =
        worker_scratch_bytes == 0
            ? 1 << 20
            : static_cast<int>((arena_size - arena_bytes) / worker_scratch_bytes);
  }

  const std::byte* weights_;
  std::byte* arena_;
  RunContext context_;
};

/// A float32 network: Network<Shape<96, 96, 3>, Conv2d<16, 3, 2, ReLU6>, ...>.
template <ShapeType In, class... Layers>
using Network = BasicNetwork<Float32, In, Layers...>;

}  // namespace joule::inline JOULE_TARGET
