// Binding weights by name. Every layer asks for the PyTorch tensors it takes (TensorSpec) under
// its name path; a source answers with the data; the layer checks the shape and packs the data
// into its own layout (BatchNorm folded) inside the network's weight storage.
//
// Any type with `const TensorData* find(std::string_view name)` is a source: the safetensors
// reader in io/, or a table of compiled-in arrays on bare metal.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "joule/core/status.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/node.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// A float32 tensor in PyTorch's layout (contiguous, row-major), as a source holds it. A source
/// that has the tensor in a type it cannot give as float32 (an integer tensor, say) answers with
/// data == nullptr and the type's name in unsupported_dtype, so that binding can say so.
struct TensorData {
  const float* data = nullptr;
  int rank = 0;
  std::array<std::int64_t, 8> dims{};
  std::string_view unsupported_dtype{};

  constexpr std::size_t elements() const {
    std::size_t count = 1;
    for (int i = 0; i < rank; ++i) count *= static_cast<std::size_t>(dims[i]);
    return count;
  }
};

template <class S>
concept TensorSource = requires(S& source, std::string_view name) {
  { source.find(name) } -> std::convertible_to<const TensorData*>;
};

struct BindOptions {
  /// Accept NaN and infinite weights instead of failing.
  bool allow_non_finite = false;
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
}  // namespace detail

/// Fills `storage` (Net::weight_floats floats) from `source`. Fails on the first missing tensor,
/// wrong shape or non-finite value, naming the tensor and both shapes; the message ends with the
/// number of further problems found.
template <class Net, TensorSource Source>
Status bind_weights(Source& source, std::span<float, Net::weight_floats> storage,
                    BindOptions options = {}) {
  for (float& value : storage) value = 0.0f;
  Status first;
  int problems = 0;
  const auto fail = [&](Status status) {
    if (problems++ == 0) first = status;
  };

  Net::visit([&](const NodeInfo& node) {
    if (!node.leaf || node.tensors.empty()) return;
    constexpr std::size_t max_tensors = 16;
    std::array<const float*, max_tensors> sources{};
    if (node.tensors.size() > max_tensors || node.weight_offset + node.weight_floats > storage.size()) {
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
      const TensorData* found = source.find(name.view());
      if (found != nullptr && found->data == nullptr && !found->unsupported_dtype.empty()) {
        Status status = Status::error(ErrorCode::type_mismatch, "tensor '");
        status.append(name.view()).append("' has dtype ").append(found->unsupported_dtype);
        status.append(", expected float32 (or float16 / bfloat16 to convert)");
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
      if (!options.allow_non_finite) {
        for (std::size_t e = 0; e < spec.elements(); ++e) {
          if (!std::isfinite(found->data[e])) {
            Status status = Status::error(ErrorCode::invalid_value, "tensor '");
            status.append(name.view()).append("' has a non-finite value (")
                .append(std::isnan(found->data[e]) ? "NaN" : "Inf")
                .append(") at element ").append(static_cast<std::uint64_t>(e));
            fail(status);
            complete = false;
            break;
          }
        }
      }
      sources[i] = found->data;
    }
    if (complete) node.pack(sources.data(), storage.data() + node.weight_offset);
  });

  if (problems > 1) {
    first.append(" (and ").append(problems - 1).append(problems == 2 ? " more problem)" : " more problems)");
  }
  return first;
}

template <class Net, TensorSource Source>
Status bind_weights(Source& source, typename Net::Weights& weights, BindOptions options = {}) {
  return bind_weights<Net>(source, weights.span(), options);
}

}  // namespace joule::inline JOULE_TARGET
