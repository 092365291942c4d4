// Network<InShape, L...>: a whole static network. The input shape flows through the layers at
// compile time; every memory need is a constant of the type:
//   Net::weight_floats  floats of (folded, packed) weights,
//   Net::arena_bytes    the activation arena, input and output included,
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
#include "joule/core/layer.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/tensor_view.hpp"
#include "joule/graph/arena_plan.hpp"
#include "joule/graph/node.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <ShapeType In, class... Layers>
class Network {
  static_assert(sizeof...(Layers) > 0, "joule::Network: a network needs at least one layer");

 public:
  /// The bound top-level sequence; its children are named by index unless Named.
  using root = bind_sequence_t<In, Layers...>;
  using input = In;
  using output = typename root::output;

  static constexpr Cost cost = root::cost;
  static constexpr std::size_t weight_floats = root::weight_floats;
  static constexpr std::size_t weight_bytes = weight_floats * sizeof(float);

  /// The input sits at the bottom of the arena when the network starts.
  static constexpr std::size_t arena_floats =
      std::max({slot_floats(In::size), root::window_floats(Place::bottom),
                slot_floats(output::size)});
  static constexpr std::size_t arena_bytes = arena_floats * sizeof(float);
  static constexpr Place output_place = root::output_place(Place::bottom);

  /// With T threads, layers that split their rows need scratch for each extra worker, placed after
  /// the single-thread arena: arena_bytes_for(T) = arena_bytes + (T - 1) x the largest scratch.
  static constexpr std::size_t worker_scratch_floats = root::max_scratch_floats;
  static constexpr std::size_t arena_floats_for(int threads) {
    return arena_floats + (threads > 1 ? static_cast<std::size_t>(threads - 1) * worker_scratch_floats : 0);
  }
  static constexpr std::size_t arena_bytes_for(int threads) { return arena_floats_for(threads) * sizeof(float); }
  static constexpr std::size_t output_offset =
      output_place == Place::bottom ? 0 : arena_floats - slot_floats(output::size);

  /// Storage with the right size and alignment for weights and arena.
  struct alignas(tensor_alignment) Weights {
    float data[weight_floats > 0 ? weight_floats : 1];
    std::span<float, weight_floats> span() { return std::span<float, weight_floats>(data, weight_floats); }
  };
  struct alignas(tensor_alignment) Arena {
    float data[arena_floats];
  };

  /// An executor (a thread pool on hosted builds) splits each layer's work; without one the
  /// network runs on the calling thread. Arena is sized for one thread: layers that need scratch
  /// per thread then use one part; the span constructor takes an arena of arena_bytes_for(T).
  Network(const Weights& weights, Arena& arena, Executor* executor = nullptr)
      : Network(weights.data, arena.data, arena_floats, executor) {}
  /// Weights and arena placed by the caller (a linker section, compiled-in constants). Both must
  /// start on a 64-byte boundary; the arena must hold at least arena_bytes.
  Network(std::span<const float, weight_floats> weights, std::span<std::byte> arena, Executor* executor = nullptr)
      : Network(weights.data(), reinterpret_cast<float*>(arena.data()), arena.size() / sizeof(float), executor) {}

  /// Copies `in` into the arena, runs, copies the result to `out`.
  void forward(TensorView<const float, In> in, TensorView<float, output> out) {
    std::copy_n(in.data(), In::size, arena_);
    run();
    std::copy_n(arena_ + output_offset, output::size, out.data());
  }
  void forward(std::span<const float, In::size> in, std::span<float, output::size> out) {
    forward(TensorView<const float, In>(in), TensorView<float, output>(out));
  }

  /// Zero-copy use: write the input here, run(), read output_tensor().
  TensorView<float, In> input_tensor() const { return TensorView<float, In>(arena_); }
  TensorView<const float, output> output_tensor() const {
    return TensorView<const float, output>(arena_ + output_offset);
  }
  void run() {
    KernelRunner runner{context_};
    execute(runner, weights_, arena_);
  }

  /// How layers run: the executor and the extra threads' scratch (for runners built by tools).
  const RunContext& context() const { return context_; }

  /// Runs the plan through any runner (KernelRunner runs kernels; tests and tools observe).
  template <class Runner>
  static TensorRef execute(Runner& runner, const float* weights, float* arena) {
    const TensorRef out = root::execute(runner, weights, Window{arena, 0, arena_floats},
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
  Network(const float* weights, float* arena, std::size_t arena_size, Executor* executor)
      : weights_(weights), arena_(arena) {
    JOULE_ASSERT(is_aligned(weights_) && is_aligned(arena_) && arena_size >= arena_floats);
    context_.executor = executor;
    context_.worker_scratch = arena_ + arena_floats;
    context_.worker_scratch_floats = worker_scratch_floats;
    context_.worker_scratch_parts =
        worker_scratch_floats == 0 ? 1 << 20 : static_cast<int>((arena_size - arena_floats) / worker_scratch_floats);
  }

  const float* weights_;
  float* arena_;
  RunContext context_;
};

}  // namespace joule::inline JOULE_TARGET
