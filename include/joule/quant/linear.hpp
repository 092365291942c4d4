// QuantizedLinear: Linear in int8. Same shapes, names and counts as the float32 layer
// (LinearInfo); it takes P.weight int8 [out, in] (in in PyTorch's CHW order), P.weight_scale,
// P.bias, P.scale, P.zero_point and, after a table activation, P.activation.scale / zero_point.
// Weight storage: the int8 [in][out] matrix in panels (NHWC order, as the float layer), then the
// output stage (quant/output_stage.hpp). The product is the int8 pointwise kernel on one pixel.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/alignment.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/linear/int8_dispatch.hpp"
#include "joule/layers/linear.hpp"
#include "joule/quant/conv.hpp"
#include "joule/quant/int8.hpp"
#include "joule/quant/output_stage.hpp"
#include "joule/quant/weight_quantizer.hpp"

namespace joule::inline JOULE_TARGET::quant {

template <class Spec, ShapeType In>
struct QuantizedLinear : LinearInfo<Spec, In> {
  using info = LinearInfo<Spec, In>;
  using info::has_bias;
  using info::in_features;
  using info::out_features;
  using typename info::activation;
  using typename info::output;

  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::i8;
  static constexpr bool table = needs_table<activation>;
  using index = QuantizedTensorIndex<has_bias, table>;
  using stage = OutputStage<out_features, activation>;

  static constexpr std::array<std::string_view, 2> part_names{"", "activation"};
  static constexpr auto tensors = quantized_tensors<has_bias, table>(info::tensors[0], 1);
  static constexpr int output_quantization = index::final_output;

  static constexpr std::size_t stage_offset =
      aligned_bytes(kernels::gemm::packed_size(in_features, out_features));
  static constexpr std::size_t weight_bytes = stage_offset + stage::bytes;

  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes = info::weight_count + stage::read_bytes,
      .activation_read_bytes = In::size,
      .activation_write_bytes = output::size,
      .elementwise = stage::ops * output::size,
  };

  /// The target's int8 linear kernel (kernels/linear/int8_dispatch.hpp).
  static constexpr kernels::KernelRecord kernel_record = kernels::linear::choose_int8();

  static void pack(const PackSources& sources, std::byte* storage) {
    pack_linear_matrix(In::pixels, In::channels, out_features,
                       sources.values<std::int8_t>(index::weight),
                       reinterpret_cast<std::int8_t*>(storage));
    stage::pack(output_stage_sources<has_bias, table>(sources), storage + stage_offset);
  }

  static constexpr auto float_tensors = info::tensors;
  static void quantize(const PackSources& floats, void* const* outputs) {
    quantize_weights_of(WeightQuantizing{out_features, static_cast<std::size_t>(in_features),
                                         has_bias ? Norm::bias : Norm::none, 0.0},
                        floats, static_cast<std::int8_t*>(outputs[index::weight]),
                        static_cast<float*>(outputs[index::weight_scale]),
                        has_bias ? static_cast<float*>(outputs[index::bias]) : nullptr);
  }

  /// Threads take whole panels of 32 outputs: each weight is read by one thread only.
  static void run(const std::byte* storage, const std::int8_t* in, std::int8_t* out, std::byte*,
                  const RunContext& context) {
    const auto* weights = reinterpret_cast<const std::int8_t*>(storage);
    const kernels::Int8Output out_stage = stage::stage(storage + stage_offset);
    const std::int32_t zero_point = stage::header(storage + stage_offset).input_zero_point;
    const std::size_t panels = static_cast<std::size_t>(kernels::linear::panels(out_features));
    parallel_ranges(context, panels, 4, [&](std::size_t first, std::size_t last) {
      const int first_output = static_cast<int>(first) * kernels::gemm::panel_width;
      const int last_output =
          std::min(out_features, static_cast<int>(last) * kernels::gemm::panel_width);
      kernels::linear::run_int8<kernel_record>(first_output, last_output, in_features, out_features,
                                               in, zero_point, weights, out_stage, out);
    });
  }
};

}  // namespace joule::inline JOULE_TARGET::quant

namespace joule::inline JOULE_TARGET {
template <>
struct LinearFor<Int8> {
  template <class Spec, ShapeType In>
  using type = quant::QuantizedLinear<Spec, In>;
};
}  // namespace joule::inline JOULE_TARGET
