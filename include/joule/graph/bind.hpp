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
#include "joule/core/pack_sources.hpp"
#include "joule/core/status.hpp"
#include "joule/core/tensor_data.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/node.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// A source holds tensors and finds them by name: a safetensors file, a table of compiled-in
/// arrays.
template <class S>
concept TensorSource = requires(S& source, std::string_view name) {
  { source.find(name) } -> std::convertible_to<const TensorData*>;
};

/// A source that makes each tensor when asked (DeterministicWeights), and so needs its spec, and
/// the tensor's index among its layer's tensors (0 starts a new layer: everything made for the
/// previous one may be dropped).
template <class S>
concept TensorMaker = requires(S& source, const TensorSpec& spec, std::string_view name, std::size_t index) {
  { source.make(spec, name, index) } -> std::convertible_to<const TensorData*>;
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

/// Fills `storage` (Net::weight_bytes bytes) from `source`. Fails on the first missing tensor,
/// wrong shape or dtype or non-finite value, naming the tensor and both shapes; the message ends
/// with the number of further problems found.
template <class Net, class Source>
  requires TensorSource<Source> || TensorMaker<Source>
Status bind_weights(Source& source, std::span<std::byte, Net::weight_bytes> storage, BindOptions options = {}) {
  for (std::byte& value : storage) value = std::byte{0};
  Status first;
  int problems = 0;
  const auto fail = [&](Status status) {
    if (problems++ == 0) first = status;
  };

  Net::visit([&](const NodeInfo& node) {
    if (!node.leaf || node.tensors.empty()) return;
    std::array<const TensorData*, max_layer_tensors> sources{};
    if (node.tensors.size() > max_layer_tensors || node.weight_offset + node.weight_bytes > storage.size()) {
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
      const TensorData* found = nullptr;
      if constexpr (TensorMaker<Source>) {
        found = source.make(spec, name.view(), i);
      } else {
        found = source.find(name.view());
      }
      const bool unsupported = found != nullptr && found->data == nullptr && !found->unsupported_dtype.empty();
      if (unsupported || (found != nullptr && found->data != nullptr && found->dtype != spec.dtype)) {
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
      if (const float* values = found->values<float>(); values != nullptr && !options.allow_non_finite) {
        for (std::size_t e = 0; e < spec.elements(); ++e) {
          if (!std::isfinite(values[e])) {
            Status status = Status::error(ErrorCode::invalid_value, "tensor '");
            status.append(name.view()).append("' has a non-finite value (")
                .append(std::isnan(values[e]) ? "NaN" : "Inf")
                .append(") at element ").append(static_cast<std::uint64_t>(e));
            fail(status);
            complete = false;
            break;
          }
        }
      }
      sources[i] = found;
    }
    if (complete) node.pack(PackSources{sources.data(), node.tensors.size()}, storage.data() + node.weight_offset);
  });

  if (problems > 1) {
    first.append(" (and ").append(problems - 1).append(problems == 2 ? " more problem)" : " more problems)");
  }
  return first;
}

template <class Net, class Source>
  requires TensorSource<Source> || TensorMaker<Source>
Status bind_weights(Source& source, typename Net::Weights& weights, BindOptions options = {}) {
  return bind_weights<Net>(source, weights.span(), options);
}

}  // namespace joule::inline JOULE_TARGET
