// Weight quantization: the tensors of Quantized<Net> (docs/quantization.md, "The quantized
// format") from the float network's PyTorch tensors and the calibrated activation parameters.
// Each int8 layer says which float tensors it is made from and how (float_tensors, quantize:
// BatchNorm folded, weights symmetric per output channel, bias folded and kept float); the
// activation parameters are copied by name. Hosted only.
//
//   io::TensorStore params;                    // from quant::Calibrator<Net>::write_params
//   io::TensorStore quantized;
//   Status s = quant::quantize_weights<Net>(float_file, params, quantized);
//   s = bind_weights<quant::Quantized<Net>>(quantized, q_weights);
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"
#include "joule/graph/bind.hpp"
#include "joule/io/tensor_store.hpp"
#include "joule/quant/quantized.hpp"

namespace joule::inline JOULE_TARGET::quant {

template <class Net, TensorSource Floats, TensorSource Params>
Status quantize_weights(Floats& floats, Params& params, io::TensorStore& out) {
  Status first;
  int problems = 0;
  const auto fail = [&](Status status) {
    if (problems++ == 0) first = status;
  };
  Quantized<Net>::visit([&](const NodeInfo& node) {
    if (!node.leaf || node.tensors.empty()) return;
    // The layer's tensors, made in `out`: activation parameters copied, the rest filled below.
    std::array<void*, max_layer_tensors> outputs{};
    for (std::size_t i = 0; i < node.tensors.size() && i < max_layer_tensors; ++i) {
      const TensorSpec& spec = node.tensors[i];
      const std::string name(tensor_name(node.path, node.part_names[spec.part], spec.name).view());
      std::vector<std::int64_t> shape(spec.dims.begin(), spec.dims.begin() + spec.rank);
      std::byte* bytes = out.add(name, spec.dtype, shape);
      const bool activation = spec.name == "scale" || spec.name == "zero_point";
      if (!activation) {
        outputs[i] = bytes;
        continue;
      }
      const TensorData* found = params.find(name);
      if (found == nullptr || found->data == nullptr || found->dtype != spec.dtype ||
          found->elements() != 1) {
        fail(Status::error(ErrorCode::not_found, "no calibrated ")
                 .append(full_name_of(spec.dtype))
                 .append(" scalar '")
                 .append(name)
                 .append("'"));
        continue;
      }
      std::memcpy(bytes, found->data, size_of(spec.dtype));
    }
    if (node.float_tensors.empty()) return;
    // The float layer's tensors, by the same names.
    std::array<const TensorData*, max_layer_tensors> sources{};
    for (std::size_t i = 0; i < node.float_tensors.size() && i < max_layer_tensors; ++i) {
      const TensorSpec& spec = node.float_tensors[i];
      const Text<320> name = tensor_name(node.path, node.part_names[spec.part], spec.name);
      const TensorData* found = floats.find(name.view());
      if (found == nullptr || found->values<float>() == nullptr || found->rank != spec.rank) {
        fail(Status::error(ErrorCode::not_found, "float tensor '")
                 .append(name.view())
                 .append("' missing or not float32 (quantizing layer '")
                 .append(node.path)
                 .append("')"));
        return;
      }
      for (int d = 0; d < spec.rank; ++d) {
        if (found->dims[static_cast<std::size_t>(d)] == spec.dims[static_cast<std::size_t>(d)])
          continue;
        fail(Status::error(ErrorCode::shape_mismatch, "float tensor '")
                 .append(name.view())
                 .append("' has another shape than layer '")
                 .append(node.path)
                 .append("' takes"));
        return;
      }
      sources[i] = found;
    }
    node.quantize(PackSources{sources.data(), node.float_tensors.size()}, outputs.data());
  });
  if (problems > 1) {
    first.append(" (and ")
        .append(problems - 1)
        .append(problems == 2 ? " more problem)" : " more problems)");
  }
  return first;
}

}  // namespace joule::inline JOULE_TARGET::quant
