// Calibration: run the float network over sample inputs, observe the range of every tensor its
// int8 form quantizes, and turn the ranges into quantization parameters. Hosted only.
//
//   quant::Calibrator<Net> calibrator(float_weights);          // Net bound with float weights
//   for (const auto& image : images) calibrator.add(image);    // NHWC float inputs
//   io::TensorStore params;
//   Status s = calibrator.write_params(params);                // "features.0.0.scale", ...
//
// The tensors are those Quantized<Net> takes parameters for (its "scale" / "zero_point" tensors),
// in its order: the network input, each convolution's output and, before a table activation
// (HardSwish, HardSigmoid, SiLU, Sigmoid), also the activation's input, so that the table gets
// both; squeeze-excite's inner tensors; each residual sum. The float network runs its own layers,
// except that layers with table activations run with the activation split out, to see its input.
//
// Ranges are min / max by default; CalibrationOptions{.percentile = 99.99} clips each range to the
// given percentiles of a deterministic sample of the values (at most 4096 per tensor and input).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"
#include "joule/graph/arena_plan.hpp"
#include "joule/graph/bind.hpp"
#include "joule/io/tensor_store.hpp"
#include "joule/kernels/linear/reference.hpp"
#include "joule/kernels/pool/reference.hpp"
#include "joule/layers/conv_layer.hpp"
#include "joule/layers/fused_inverted_residual.hpp"
#include "joule/layers/global_avg_pool.hpp"
#include "joule/layers/linear.hpp"
#include "joule/layers/squeeze_excite.hpp"
#include "joule/quant/activation_table.hpp"
#include "joule/quant/params.hpp"
#include "joule/quant/quantized.hpp"

namespace joule::inline JOULE_TARGET::quant {

struct CalibrationOptions {
  /// 100: each range is the values' min and max; below 100, [the (100 - p)th, the pth] percentile.
  double percentile = 100.0;
};

/// The range of values seen for one tensor.
class Observed {
 public:
  void add(const float* values, std::size_t count, bool keep_samples) {
    for (std::size_t i = 0; i < count; ++i) {
      min_ = std::min(min_, values[i]);
      max_ = std::max(max_, values[i]);
    }
    if (!keep_samples || count == 0) return;
    const std::size_t step = count > max_samples ? count / max_samples : 1;
    for (std::size_t i = 0; i < count; i += step) samples_.push_back(values[i]);
  }
  bool empty() const { return min_ > max_; }
  float min() const { return min_; }
  float max() const { return max_; }

  /// [low, high] with the percentiles of the samples (the full range at 100).
  void range(double percentile, float& low, float& high) {
    low = min_;
    high = max_;
    if (percentile >= 100.0 || samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    const auto at = [&](double p) {
      const double position = p / 100.0 * static_cast<double>(samples_.size() - 1);
      return samples_[static_cast<std::size_t>(std::llround(position))];
    };
    low = at(100.0 - percentile);
    high = at(percentile);
  }

 private:
  static constexpr std::size_t max_samples = 4096;
  float min_ = std::numeric_limits<float>::infinity();
  float max_ = -std::numeric_limits<float>::infinity();
  std::vector<float> samples_;
};

/// Where a float layer's observations go, in order.
struct ObservationSink {
  std::vector<Observed>* observed;
  std::size_t next = 0;
  bool keep_samples = false;
  bool overflow = false;

  void operator()(const float* values, std::size_t count) {
    if (next >= observed->size()) {
      overflow = true;
      return;
    }
    (*observed)[next++].add(values, count, keep_samples);
  }
};

namespace detail {

/// Spec with its activation replaced (to run a layer with Identity and see its activation's input).
template <class Spec, class Act>
struct WithActivation : Spec {
  using activation = Act;
};

template <Activation Act>
void apply_activation(float* values, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) values[i] = Act::apply(values[i]);
}

// A float leaf run while observing what its int8 form quantizes. Layers that differ from the
// default (the output alone) have an overload of observe_leaf, found through their base class (a
// block's bound type derives from the layer it composes to).

/// Pooling keeps its input's quantization: nothing to observe.
template <ShapeType In>
void observe_leaf(const BoundGlobalAvgPool<In>*, const std::byte* w, const float* in, float* out,
                  std::byte* scratch, ObservationSink&) {
  BoundGlobalAvgPool<In>::run(w, in, out, scratch, RunContext{});
}

/// A convolution or linear layer: its output, and before a table activation the activation's input.
template <class Bound, class WithIdentity>
void observe_with_activation(const std::byte* w, const float* in, float* out, std::byte* scratch,
                             ObservationSink& sink) {
  using Act = typename Bound::activation;
  if constexpr (needs_table<Act>) {
    WithIdentity::run(w, in, out, scratch, RunContext{});
    sink(out, Bound::output::size);
    apply_activation<Act>(out, Bound::output::size);
  } else {
    Bound::run(w, in, out, scratch, RunContext{});
  }
  sink(out, Bound::output::size);
}

template <class Spec, ShapeType In>
void observe_leaf(const BoundConv<Spec, In>*, const std::byte* w, const float* in, float* out,
                  std::byte* scratch, ObservationSink& sink) {
  observe_with_activation<BoundConv<Spec, In>, BoundConv<WithActivation<Spec, Identity>, In>>(
      w, in, out, scratch, sink);
}

template <class Spec, ShapeType In>
void observe_leaf(const BoundLinear<Spec, In>*, const std::byte* w, const float* in, float* out,
                  std::byte* scratch, ObservationSink& sink) {
  observe_with_activation<BoundLinear<Spec, In>, BoundLinear<WithActivation<Spec, Identity>, In>>(
      w, in, out, scratch, sink);
}

/// Squeeze-excite: fc1's output (and its activation's input before a table), fc2's output (the
/// gate's input), the gate, and the rescaled output.
template <class Spec, ShapeType In>
void observe_leaf(const BoundSqueezeExcite<Spec, In>*, const std::byte* storage, const float* in,
                  float* out, std::byte*, ObservationSink& sink) {
  using L = BoundSqueezeExcite<Spec, In>;
  const float* w = reinterpret_cast<const float*>(storage);
  std::vector<float> pooled(L::channels), hidden(L::squeezed), gates(L::channels);
  kernels::pool::global_average_reference(In::pixels, L::channels, in, pooled.data());
  kernels::linear::reference<Identity>(L::channels, L::squeezed, pooled.data(), w,
                                       w + L::fc1_bias_offset, hidden.data());
  if constexpr (needs_table<typename L::activation>) sink(hidden.data(), hidden.size());
  apply_activation<typename L::activation>(hidden.data(), hidden.size());
  sink(hidden.data(), hidden.size());
  kernels::linear::reference<Identity>(L::squeezed, L::channels, hidden.data(), w + L::fc2_offset,
                                       w + L::fc2_bias_offset, gates.data());
  sink(gates.data(), gates.size());
  apply_activation<typename L::gate>(gates.data(), gates.size());
  sink(gates.data(), gates.size());
  for (std::size_t p = 0; p < In::pixels; ++p)
    for (int c = 0; c < L::channels; ++c)
      out[p * L::channels + c] = in[p * L::channels + c] * gates[c];
  sink(out, In::size);
}

template <class Leaf>
void observe(const std::byte* w, const float* in, float* out, std::byte* scratch,
             ObservationSink& sink);

/// The fused block, unfused: each convolution as on its own, then the residual sum.
template <ShapeType In, class Expand, class Depthwise, class Project, bool ResidualAdd,
          FusedNames Names>
void observe_leaf(
    const BoundFusedInvertedResidual<In, Expand, Depthwise, Project, ResidualAdd, Names>*,
    const std::byte* storage, const float* in, float* out, std::byte*, ObservationSink& sink) {
  using L = BoundFusedInvertedResidual<In, Expand, Depthwise, Project, ResidualAdd, Names>;
  std::vector<float> expanded;
  const float* depthwise_in = in;
  if constexpr (L::expand) {
    expanded.resize(Expand::output::size);
    observe<Expand>(storage + L::expand_offset * sizeof(float), in, expanded.data(), nullptr, sink);
    depthwise_in = expanded.data();
  }
  std::vector<float> depthwise(Depthwise::output::size);
  observe<Depthwise>(storage + L::depthwise_offset * sizeof(float), depthwise_in, depthwise.data(),
                     nullptr, sink);
  if constexpr (L::project) {
    observe<Project>(storage + L::project_offset * sizeof(float), depthwise.data(), out, nullptr,
                     sink);
    if constexpr (ResidualAdd) {
      for (std::size_t i = 0; i < In::size; ++i) out[i] += in[i];
      sink(out, In::size);
    }
  } else {
    std::copy(depthwise.begin(), depthwise.end(), out);
  }
}

/// Any leaf: its own overload, or else run it and observe its output.
template <class Leaf>
void observe(const std::byte* w, const float* in, float* out, std::byte* scratch,
             ObservationSink& sink) {
  if constexpr (requires {
                  observe_leaf(static_cast<const Leaf*>(nullptr), w, in, out, scratch, sink);
                }) {
    observe_leaf(static_cast<const Leaf*>(nullptr), w, in, out, scratch, sink);
  } else {
    Leaf::run(w, in, out, scratch, RunContext{});
    sink(out, Leaf::output::size);
  }
}

/// Runs the float network's plan, each leaf through observe<>, each residual sum observed.
struct ObservingRunner {
  ObservationSink sink;

  template <class Leaf>
  void leaf(const std::byte* weights, const std::byte* in, std::byte* out, std::byte* scratch) {
    observe<Leaf>(weights, reinterpret_cast<const float*>(in), reinterpret_cast<float*>(out),
                  scratch, sink);
  }
  template <class AddOp>
  void add(const std::byte* weights, const std::byte* a, const std::byte* b, std::byte* out) {
    run_add<AddOp>(weights, a, b, out);
    sink(reinterpret_cast<const float*>(out), AddOp::output::size);
  }
  void stash_begin(const std::byte*, std::size_t) {}
  void stash_end() {}
};

}  // namespace detail

/// The tensors Quantized<Net> takes parameters for, in its order: each name without ".scale".
template <class Net>
std::vector<std::string> activation_names() {
  std::vector<std::string> names;
  Quantized<Net>::visit([&](const NodeInfo& node) {
    if (!node.leaf) return;
    for (const TensorSpec& spec : node.tensors)
      if (spec.name == "scale")
        names.emplace_back(tensor_name(node.path, node.part_names[spec.part], "").view());
  });
  return names;
}

template <class Net>
class Calibrator {
 public:
  explicit Calibrator(std::span<const std::byte, Net::weight_bytes> float_weights,
                      CalibrationOptions options = {})
      : weights_(float_weights.data()),
        options_(options),
        names_(activation_names<Net>()),
        observed_(names_.size()),
        arena_(new (std::align_val_t(tensor_alignment)) std::byte[Net::arena_bytes]) {}
  ~Calibrator() { ::operator delete[](arena_, std::align_val_t(tensor_alignment)); }
  Calibrator(const Calibrator&) = delete;
  Calibrator& operator=(const Calibrator&) = delete;

  /// Runs one input (NHWC float) and records the ranges it produces.
  Status add(std::span<const float, Net::input::size> input) {
    ObservationSink sink{&observed_, 0, options_.percentile < 100.0};
    sink(input.data(), input.size());  // the input, which the int8 network quantizes first
    std::copy(input.begin(), input.end(), reinterpret_cast<float*>(arena_));
    detail::ObservingRunner runner{sink};
    Net::execute(runner, weights_, arena_);
    if (runner.sink.overflow || runner.sink.next != observed_.size()) {
      return Status::error(ErrorCode::invalid_argument, "calibration: the float network produced ")
          .append(static_cast<std::uint64_t>(runner.sink.next))
          .append(" observations where its int8 form has ")
          .append(static_cast<std::uint64_t>(observed_.size()))
          .append(" tensors (a layer whose int8 form differs from its float one)");
    }
    ++inputs_;
    return Status::success();
  }

  std::size_t inputs() const { return inputs_; }
  const std::vector<std::string>& names() const { return names_; }

  /// NAME.scale (float, shape []) and NAME.zero_point (int32, shape []) for every tensor.
  Status write_params(io::TensorStore& out) {
    if (inputs_ == 0)
      return Status::error(ErrorCode::invalid_argument, "calibration: no inputs were added");
    for (std::size_t i = 0; i < names_.size(); ++i) {
      float low = 0.0f, high = 0.0f;
      observed_[i].range(options_.percentile, low, high);
      if (!std::isfinite(low) || !std::isfinite(high)) {
        return Status::error(ErrorCode::invalid_value, "calibration: tensor '")
            .append(names_[i])
            .append("' took non-finite values");
      }
      const QuantParams p = params_for_range(low, high);
      out.add_scalar(names_[i] + ".scale", p.scale);
      out.add_scalar(names_[i] + ".zero_point", p.zero_point);
    }
    return Status::success();
  }

 private:
  const std::byte* weights_;
  CalibrationOptions options_;
  std::vector<std::string> names_;
  std::vector<Observed> observed_;
  std::byte* arena_;
  std::size_t inputs_ = 0;
};

}  // namespace joule::inline JOULE_TARGET::quant
