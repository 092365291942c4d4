// Binding weights by name. Every layer asks for the PyTorch tensors it takes (TensorSpec) under
// its name path; a source answers with the data; the layer checks the shape and packs the data
// into its own layout (BatchNorm folded) inside the network's weight storage.
//
// Any type with `const TensorData* find(std::string_view name)` is a source: the safetensors
// reader in io/, or a table of compiled-in arrays on bare metal. A source may instead make
// tensors on request (TensorMaker), as DeterministicWeights does.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "joule/core/dtype.hpp"
#include "joule/core/function_ref.hpp"
#include "joule/core/pack_sources.hpp"
#include "joule/core/quant_params.hpp"
#include "joule/core/status.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_data.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/node.hpp"

namespace joule::inline JOULE_TARGET {

/// A source holds tensors and finds them by name: a safetensors file, a table of compiled-in
/// arrays. The TensorData a find returns needs to stay valid only until the next find (binding
/// copies it), so a source may answer every call with the same object; the data it points to
/// must stay until binding returns.
template <class S>
concept TensorSource = requires(S& source, std::string_view name) {
  { source.find(name) } -> std::convertible_to<const TensorData*>;
};

/// A source that makes each tensor when asked (DeterministicWeights), and so needs its spec, and
/// the tensor's index among its layer's tensors (0 starts a new layer: everything made for the
/// previous one may be dropped).
template <class S>
concept TensorMaker = requires(S& source, const TensorSpec& spec, std::string_view name,
                               std::size_t index) {
  { source.make(spec, name, index) } -> std::convertible_to<const TensorData*>;
};

struct BindOptions {
  /// Accept NaN and infinite weights instead of failing.
  bool allow_non_finite = false;
  /// What every layer's pack() is told (PackSources::options).
  PackOptions pack{};
};

/// The full name of `tensor` of a layer at `path`: path.part.name, empty segments left out.
inline Text<320> tensor_name(std::string_view path, std::string_view part, std::string_view name) {
  Text<320> text;
  for (std::string_view segment : {path, part, name}) {
    if (segment.empty()) continue;
    if (text.size() != 0) text.append('.');
    text.append(segment);
  }
  return text;
}

namespace detail {
template <class Dims>
void append_dims(Status& status, const Dims& dims, int rank) {
  status.append('[');
  for (int i = 0; i < rank; ++i) {
    if (i != 0) status.append(", ");
    status.append(static_cast<std::int64_t>(dims[i]));
  }
  status.append(']');
}

inline bool same_shape(const TensorSpec& spec, const TensorData& data) {
  if (spec.rank != data.rank) return false;
  for (int i = 0; i < spec.rank; ++i)
    if (spec.dims[i] != data.dims[i]) return false;
  return true;
}

inline void append_layer(Status& status, const NodeInfo& node) {
  status.append(" (layer '").append(node.path).append("', ").append(node.kind).append(' ');
  status.append(node.description).append(')');
}

/// A quantization tensor's values must make sense: scales ("scale", "weight_scale") positive and
/// finite, zero points in int8's range.
inline Status check_quantization(const TensorSpec& spec, std::string_view name,
                                 const TensorData& data, const NodeInfo& node) {
  const bool scale = spec.name == "scale" || spec.name == "weight_scale";
  if (scale && spec.dtype == DType::f32) {
    const float* values = data.values<float>();
    for (std::size_t e = 0; e < spec.elements(); ++e) {
      if (values[e] > 0.0f && std::isfinite(values[e])) continue;
      Status status = Status::error(ErrorCode::invalid_value, "tensor '");
      status.append(name).append("' holds a scale that is not positive and finite (element ");
      status.append(static_cast<std::uint64_t>(e)).append(")");
      append_layer(status, node);
      return status;
    }
  }
  if (spec.name == "zero_point" && spec.dtype == DType::i32) {
    const std::int32_t* values = data.values<std::int32_t>();
    for (std::size_t e = 0; e < spec.elements(); ++e) {
      if (values[e] >= -128 && values[e] <= 127) continue;
      Status status = Status::error(ErrorCode::invalid_value, "tensor '");
      status.append(name)
          .append("' holds the zero point ")
          .append(static_cast<std::int64_t>(values[e]));
      status.append(", outside int8's range [-128, 127]");
      append_layer(status, node);
      return status;
    }
  }
  return Status::success();
}

/// Where int8 tensors' quantization comes from while binding walks a network in execution order:
/// each layer's input is the output of the layer before it, a residual's sum also takes the
/// residual's input, kept on a stack while its body is bound.
class QuantizationFlow {
 public:
  const QuantParams* current() const { return has_current_ ? &current_ : nullptr; }
  void set(QuantParams params) {
    current_ = params;
    has_current_ = true;
  }
  void enter_residual() {
    if (depth_ < max_depth) {
      stack_[depth_] = current_;
      has_stack_[depth_] = has_current_;
    }
    ++depth_;
  }
  /// The residual input of the residual the sum closes.
  const QuantParams* leave_residual() {
    if (depth_ == 0) return nullptr;
    --depth_;
    if (depth_ >= max_depth || !has_stack_[depth_]) return nullptr;
    residual_ = stack_[depth_];
    return &residual_;
  }

 private:
  static constexpr int max_depth = 16;
  QuantParams current_{};
  bool has_current_ = false;
  QuantParams stack_[max_depth]{};
  bool has_stack_[max_depth]{};
  int depth_ = 0;
  QuantParams residual_{};
};
}  // namespace detail

namespace detail {
/// Any source, as binding asks it: the tensor `spec` named `name`, the index-th of its layer.
using SourceLookup = FunctionRef<const TensorData*(const TensorSpec& spec, std::string_view name,
                                                   std::size_t index)>;

/// Binding itself, the same code for every network and source: the network's nodes come from
/// its visit function (Net::visit).
// Not inlined: one copy serves every network (binding is once per network, never in a loop).
[[gnu::noinline]] inline Status bind_nodes(void (*visit)(NodeVisitor), SourceLookup source,
                                           std::span<std::byte> storage, BindOptions options) {
  for (std::byte& value : storage) value = std::byte{0};
  Status first;
  int problems = 0;
  const auto fail = [&](Status status) {
    if (problems++ == 0) first = status;
  };

  detail::QuantizationFlow flow;
  visit([&](const NodeInfo& node) {
    if (!node.leaf) {
      if (node.residual) flow.enter_residual();
      return;
    }
    const QuantParams* residual_input = node.residual_add ? flow.leave_residual() : nullptr;
    if (node.tensors.empty() && node.weight_bytes == 0) return;
    // Copies of what the source answered: a source may reuse one TensorData for every answer.
    std::array<TensorData, max_layer_tensors> answers{};
    std::array<const TensorData*, max_layer_tensors> sources{};
    if (node.tensors.size() > max_layer_tensors ||
        node.weight_offset + node.weight_bytes > storage.size()) {
      fail(Status::error(ErrorCode::invalid_argument, "layer '").append(node.path).append("' does not fit the weight storage"));
      return;
    }
    bool complete = true;
    for (std::size_t i = 0; i < node.tensors.size(); ++i) {
      const TensorSpec& spec = node.tensors[i];
      const Text<320> name = tensor_name(node.path, node.part_names[spec.part], spec.name);
      if (name.truncated()) {
        fail(Status::error(ErrorCode::invalid_argument, "tensor name too long: ").append(name.view()));
        complete = false;
        continue;
      }
      const TensorData* found = source(spec, name.view(), i);
      const bool unsupported =
          found != nullptr && found->data == nullptr && !found->unsupported_dtype.empty();
      if (unsupported ||
          (found != nullptr && found->data != nullptr && found->dtype != spec.dtype)) {
        Status status = Status::error(ErrorCode::type_mismatch, "tensor '");
        status.append(name.view()).append("' has dtype ");
        status.append(unsupported ? found->unsupported_dtype : full_name_of(found->dtype));
        status.append(", expected ").append(full_name_of(spec.dtype));
        if (spec.dtype == DType::f32) status.append(" (or float16 / bfloat16 to convert)");
        detail::append_layer(status, node);
        fail(status);
        complete = false;
        continue;
      }
      if (found == nullptr || found->data == nullptr) {
        Status status = Status::error(ErrorCode::not_found, "missing tensor '");
        status.append(name.view()).append("', expected shape ");
        detail::append_dims(status, spec.dims, spec.rank);
        detail::append_layer(status, node);
        fail(status);
        complete = false;
        continue;
      }
      if (!detail::same_shape(spec, *found)) {
        Status status = Status::error(ErrorCode::shape_mismatch, "tensor '");
        status.append(name.view()).append("': expected shape ");
        detail::append_dims(status, spec.dims, spec.rank);
        status.append(", found ");
        detail::append_dims(status, found->dims, found->rank);
        detail::append_layer(status, node);
        fail(status);
        complete = false;
        continue;
      }
      if (Status status = detail::check_quantization(spec, name.view(), *found, node);
          !status.ok()) {
        fail(status);
        complete = false;
        continue;
      }
      if (const float* values = found->values<float>();
          values != nullptr && !options.allow_non_finite) {
        for (std::size_t e = 0; e < spec.elements(); ++e) {
          if (!std::isfinite(values[e])) {
            Status status = Status::error(ErrorCode::invalid_value, "tensor '");
            status.append(name.view())
                .append("' has a non-finite value (")
                .append(std::isnan(values[e]) ? "NaN" : "Inf")
                .append(") at element ")
                .append(static_cast<std::uint64_t>(e));
            fail(status);
            complete = false;
            break;
          }
        }
      }
      answers[i] = *found;
      sources[i] = &answers[i];
    }
    // An int8 layer packs with its input's quantization; without it (an earlier layer failed to
    // bind, and said so, or none gives one) it cannot.
    if (node.input_dtype == DType::i8 && flow.current() == nullptr &&
        !node.defines_input_quantization) {
      if (problems == 0) {
        fail(Status::error(ErrorCode::invalid_argument, "layer '")
                 .append(node.path)
                 .append("' takes an int8 input whose quantization no layer before it gives"));
      }
      complete = false;
    }
    if (node.residual_add && node.input_dtype == DType::i8 && residual_input == nullptr)
      complete = false;
    if (!complete) return;
    node.pack(PackSources{sources.data(), node.tensors.size(), flow.current(), residual_input,
                          options.pack},
              storage.data() + node.weight_offset);
    if (node.output_quantization >= 0) {
      const auto at = static_cast<std::size_t>(node.output_quantization);
      flow.set(
          QuantParams{sources[at]->values<float>()[0], sources[at + 1]->values<std::int32_t>()[0]});
    }
  });

  if (problems > 1) {
    first.append(" (and ").append(problems - 1).append(problems == 2 ? " more problem)" : " more problems)");
  }
  return first;
}
}  // namespace detail

/// Fills `storage` (Net::weight_bytes bytes) from `source`. Fails on the first missing tensor,
/// wrong shape or dtype or non-finite value, naming the tensor and both shapes; the message ends
/// with the number of further problems found.
template <class Net, class Source>
requires TensorSource<Source> || TensorMaker<Source> Status bind_weights(
    Source& source, std::span<std::byte, Net::weight_bytes> storage, BindOptions options = {}) {
  const auto lookup = [&](const TensorSpec& spec, std::string_view name,
                          std::size_t index) -> const TensorData* {
    if constexpr (TensorMaker<Source>) {
      return source.make(spec, name, index);
    } else {
      (void)spec;
      (void)index;
      return source.find(name);
    }
  };
  return detail::bind_nodes(&Net::visit, lookup, storage, options);
}

template <class Net, class Source>
requires TensorSource<Source> || TensorMaker<Source> Status
bind_weights(Source& source, typename Net::Weights& weights, BindOptions options = {}) {
  return bind_weights<Net>(source, weights.span(), options);
}

}  // namespace joule::inline JOULE_TARGET
