// QuantizedConv: Conv2d, DepthwiseConv and Pointwise in int8. Same shapes, names and counts as
// the float32 layer (ConvInfo); what it takes is the quantized form of the convolution with its
// BatchNorm folded (quant/quantize_weights.hpp makes it from float tensors, tools/export.py
// --quantized from a PyTorch-quantized model):
//
//   P.weight         int8 [out, in / groups, k, k], symmetric (zero point 0)   at the conv's part
//   P.weight_scale   float [out]
//   P.bias           float [out] (the folded bias; absent with Norm::none)
//   P.scale, P.zero_point          the output (after a clamp activation, before a table one)
//   A.scale, A.zero_point          a table activation's output, at the activation's part: "2"
//                                  beside a BatchNorm (torchvision's Conv2dNormActivation), else
//                                  "activation"
//
// Weight storage: the int8 weights in joule's float layouts (panels of 32 output columns;
// depthwise [k][k][channels]), then the output stage (quant/output_stage.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "joule/core/alignment.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/conv/int8_dispatch.hpp"
#include "joule/kernels/depthwise/int8_dispatch.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pointwise/int8_dispatch.hpp"
#include "joule/layers/conv_layer.hpp"
#include "joule/quant/int8.hpp"
#include "joule/quant/output_stage.hpp"
#include "joule/quant/weight_quantizer.hpp"

namespace joule::inline JOULE_TARGET::quant {

/// The tensors of a quantized convolution or linear layer, in order: weight, weight_scale, [bias],
/// scale, zero_point, [activation scale, zero_point]. `weight` is the weight's TensorSpec with
/// int8.
template <bool Bias, bool Table>
constexpr auto quantized_tensors(TensorSpec weight, int activation_part) {
  const int out = static_cast<int>(weight.dims[0]);
  weight.dtype = DType::i8;
  std::array<TensorSpec, 4 + (Bias ? 1 : 0) + (Table ? 2 : 0)> all{};
  std::size_t i = 0;
  all[i++] = weight;
  all[i++] = TensorSpec{"weight_scale", weight.part, 1, {out}, DType::f32};
  if constexpr (Bias) all[i++] = TensorSpec{"bias", weight.part, 1, {out}, DType::f32};
  all[i++] = TensorSpec{"scale", weight.part, 0, {}, DType::f32};
  all[i++] = TensorSpec{"zero_point", weight.part, 0, {}, DType::i32};
  if constexpr (Table) {
    all[i++] = TensorSpec{"scale", activation_part, 0, {}, DType::f32};
    all[i++] = TensorSpec{"zero_point", activation_part, 0, {}, DType::i32};
  }
  return all;
}

/// Where a quantized layer's tensors are: indices into quantized_tensors().
template <bool Bias, bool Table>
struct QuantizedTensorIndex {
  static constexpr std::size_t weight = 0;
  static constexpr std::size_t weight_scale = 1;
  static constexpr std::size_t bias = 2;
  static constexpr std::size_t output = Bias ? 3 : 2;
  static constexpr std::size_t activation = output + 2;
  /// The tensor whose parameters the layer's output has.
  static constexpr int final_output = static_cast<int>(Table ? activation : output);
};

/// The output stage's sources from a quantized layer's tensors.
template <bool Bias, bool Table>
OutputStageSources output_stage_sources(const PackSources& sources) {
  using Index = QuantizedTensorIndex<Bias, Table>;
  OutputStageSources s{};
  s.input = *sources.input;
  s.weight_scale = sources.values<float>(Index::weight_scale);
  s.bias = Bias ? sources.values<float>(Index::bias) : nullptr;
  s.output = params_at(sources, Index::output);
  if constexpr (Table) s.activation = params_at(sources, Index::activation);
  s.relu6_as_relu = sources.options.relu6_as_relu;
  return s;
}

/// OIHW int8 weights into the [kh x kw x in/groups][out] matrix (panels when `panels`, else plain
/// [kh][kw][channels] for depthwise), as float32 packing lays them out.
// Not inlined: one copy serves every layer (a layer's pack is called once, at binding).
[[gnu::noinline]] inline void pack_int8_conv_weights(int out_channels, int in_per_group, int kernel,
                                                     bool panels, const std::int8_t* weight,
                                                     std::int8_t* packed) {
  const int rows = kernel * kernel * in_per_group;
  for (int o = 0; o < out_channels; ++o)
    for (int i = 0; i < in_per_group; ++i)
      for (int ky = 0; ky < kernel; ++ky)
        for (int kx = 0; kx < kernel; ++kx) {
          const int row = (ky * kernel + kx) * in_per_group + i;
          const std::size_t at = panels ? kernels::gemm::packed_index(row, o, rows)
                                        : static_cast<std::size_t>(row) * out_channels + o;
          packed[at] = weight[(static_cast<std::size_t>(o) * in_per_group + i) * kernel * kernel +
                              ky * kernel + kx];
        }
}

template <class Spec, ShapeType In>
struct QuantizedConv : ConvInfo<Spec, In> {
  using info = ConvInfo<Spec, In>;
  using info::has_bias;
  using info::in_per_group;
  using info::kernel;
  using info::options;
  using info::out_channels;
  using info::weight_count;
  using typename info::activation;
  using typename info::output;

  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::i8;
  static constexpr bool table = needs_table<activation>;
  using index = QuantizedTensorIndex<has_bias, table>;
  using stage = OutputStage<out_channels, activation>;

  static constexpr bool with_batch_norm = options.norm == Norm::batch;
  static constexpr auto part_names = [] {
    if constexpr (with_batch_norm) {
      return std::array<std::string_view, 3>{"0", "1", "2"};
    } else {
      return std::array<std::string_view, 2>{"", "activation"};
    }
  }();
  static constexpr auto tensors =
      quantized_tensors<has_bias, table>(info::tensors[0], with_batch_norm ? 2 : 1);
  static constexpr int output_quantization = index::final_output;

  static constexpr bool panels = Spec::conv_kind != ConvKind::depthwise;
  static constexpr std::size_t weight_elements =
      panels ? kernels::gemm::packed_size(kernel * kernel * in_per_group, out_channels)
             : weight_count;
  static constexpr std::size_t stage_offset = aligned_bytes(weight_elements);
  static constexpr std::size_t weight_bytes = stage_offset + stage::bytes;

  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes = weight_count + stage::read_bytes,
      .activation_read_bytes = In::size,
      .activation_write_bytes = output::size,
      .elementwise = stage::ops * output::size,
  };

  /// The target's int8 kernel of the convolution's kind (kernels/<op>/int8_dispatch.hpp).
  static constexpr kernels::KernelRecord kernel_record =
      Spec::conv_kind == ConvKind::pointwise   ? kernels::pointwise::choose_int8()
      : Spec::conv_kind == ConvKind::depthwise ? kernels::depthwise::choose_int8()
                                               : kernels::conv::choose_int8();

  /// PyTorch's OIHW int8 weights into joule's layout (as pack_conv_weights lays out floats).
  static void pack(const PackSources& sources, std::byte* storage) {
    pack_int8_conv_weights(out_channels, in_per_group, kernel, panels,
                           sources.values<std::int8_t>(index::weight),
                           reinterpret_cast<std::int8_t*>(storage));
    stage::pack(output_stage_sources<has_bias, table>(sources), storage + stage_offset);
  }

  /// Made from the float convolution's tensors: weight and BatchNorm (folded), or weight and bias.
  static constexpr auto float_tensors = info::tensors;
  static void quantize(const PackSources& floats, void* const* outputs) {
    quantize_weights_of(
        WeightQuantizing{out_channels, static_cast<std::size_t>(in_per_group) * kernel * kernel,
                         options.norm, pow10(options.bn_eps_log10)},
        floats, static_cast<std::int8_t*>(outputs[index::weight]),
        static_cast<float*>(outputs[index::weight_scale]),
        has_bias ? static_cast<float*>(outputs[index::bias]) : nullptr);
  }

  static void run(const std::byte* storage, const std::int8_t* in, std::int8_t* out, std::byte*,
                  const RunContext& context) {
    const auto* weights = reinterpret_cast<const std::int8_t*>(storage);
    const kernels::Int8Output out_stage = stage::stage(storage + stage_offset);
    const std::int32_t zero_point = stage::header(storage + stage_offset).input_zero_point;
    if constexpr (Spec::conv_kind == ConvKind::pointwise) {
      parallel_ranges(context, In::pixels, 64, [&](std::size_t first, std::size_t last) {
        kernels::pointwise::run_int8<kernel_record>(first, last, 0, out_channels, In::channels,
                                                    out_channels, in, zero_point, weights,
                                                    out_stage, out);
      });
    } else {
      parallel_ranges(context, output::height, 1, [&](std::size_t first, std::size_t last) {
        if constexpr (Spec::conv_kind == ConvKind::depthwise) {
          kernels::depthwise::run_int8<kernel_record>(info::geometry, in, zero_point, weights,
                                                      out_stage, out, int(first), int(last));
        } else {
          kernels::conv::run_int8<kernel_record>(info::geometry, in, zero_point, weights, out_stage,
                                                 out, int(first), int(last));
        }
      });
    }
  }
};

}  // namespace joule::inline JOULE_TARGET::quant

namespace joule::inline JOULE_TARGET {
template <>
struct ConvFor<Int8> {
  template <class Spec, ShapeType In>
  using type = quant::QuantizedConv<Spec, In>;
};
}  // namespace joule::inline JOULE_TARGET
