// QuantizedSqueezeExcite: squeeze-and-excitation in int8, as torchvision's quantizable
// SqueezeExcitation runs it: the average pool keeps the input's quantization, fc1 and fc2 are int8
// 1x1 convolutions, the gate a table, and the rescale an int8 product with its own parameters.
// Same shapes, names and counts as the float32 layer (SqueezeExciteInfo); it takes, S being its
// path:
//
//   S.fc1.weight (int8 [squeezed, C, 1, 1]), .weight_scale, .bias, .scale, .zero_point
//   S.activation.scale / zero_point          fc1's activation, when it is a table (SiLU)
//   S.fc2.weight (int8 [C, squeezed, 1, 1]), .weight_scale, .bias, .scale, .zero_point
//   S.scale_activation.scale / zero_point    the gate (torchvision's name for it)
//   S.skip_mul.scale / zero_point            the rescaled output
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "joule/core/alignment.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/int8_reference.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pointwise/int8_reference.hpp"
#include "joule/kernels/pool/int8_reference.hpp"
#include "joule/layers/squeeze_excite.hpp"
#include "joule/quant/conv.hpp"
#include "joule/quant/int8.hpp"
#include "joule/quant/output_stage.hpp"
#include "joule/quant/weight_quantizer.hpp"

namespace joule::inline JOULE_TARGET::quant {

struct GateStorage {
  std::int32_t pool_zero_point;  // the input's
  float pool_multiplier;         // scale / (scale * pixels), as pooling
  std::int32_t gate_zero_point;
  float multiplier;  // input scale x gate scale / output scale
  std::int32_t output_zero_point;
};

template <class Spec, ShapeType In>
struct QuantizedSqueezeExcite : SqueezeExciteInfo<Spec, In> {
  using info = SqueezeExciteInfo<Spec, In>;
  using info::channels;
  using info::squeezed;
  using typename info::activation;
  using typename info::gate;

  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::i8;
  static constexpr bool table = needs_table<activation>;
  static_assert(
      needs_table<gate>,
      "joule int8 squeeze-excite: the gate must be a table activation (Sigmoid, HardSigmoid)");
  using fc1_index = QuantizedTensorIndex<true, table>;
  using fc2_index = QuantizedTensorIndex<true, true>;
  using fc1_stage = OutputStage<squeezed, activation>;
  using fc2_stage = OutputStage<channels, gate>;

  static constexpr std::array<std::string_view, 5> part_names{"fc1", "fc2", "activation",
                                                              "scale_activation", "skip_mul"};
  static constexpr std::size_t fc1_tensors = table ? 7 : 5;
  static constexpr auto tensors = [] {
    const auto fc1 = quantized_tensors<true, table>(info::tensors[0], 2);
    const auto fc2 = quantized_tensors<true, true>(info::tensors[2], 3);
    std::array<TensorSpec, fc1.size() + fc2.size() + 2> all{};
    std::size_t i = 0;
    for (const TensorSpec& t : fc1) all[i++] = t;
    for (const TensorSpec& t : fc2) all[i++] = t;
    all[i++] = TensorSpec{"scale", 4, 0, {}, DType::f32};
    all[i++] = TensorSpec{"zero_point", 4, 0, {}, DType::i32};
    return all;
  }();
  static constexpr int output_quantization = static_cast<int>(tensors.size()) - 2;

  static constexpr std::size_t fc1_weights = 0;
  static constexpr std::size_t fc1_stage_offset =
      aligned_bytes(kernels::gemm::packed_size(channels, squeezed));
  static constexpr std::size_t fc2_weights = fc1_stage_offset + aligned_bytes(fc1_stage::bytes);
  static constexpr std::size_t fc2_stage_offset =
      fc2_weights + aligned_bytes(kernels::gemm::packed_size(squeezed, channels));
  static constexpr std::size_t gate_offset = fc2_stage_offset + aligned_bytes(fc2_stage::bytes);
  static constexpr std::size_t weight_bytes = gate_offset + sizeof(GateStorage);

  static constexpr std::size_t hidden_offset = aligned_bytes(channels);
  static constexpr std::size_t gates_offset = hidden_offset + aligned_bytes(squeezed);
  static constexpr std::size_t scratch_bytes = gates_offset + channels;

  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes = 2 * info::fc_weights + fc1_stage::read_bytes + fc2_stage::read_bytes,
      // The input is read twice: once to pool, once to scale.
      .activation_read_bytes = 2 * In::size,
      .activation_write_bytes = In::size,
      // The pool (sums, then requantized), both FCs' output stages, the rescale.
      .elementwise = ElementwiseOps{.adds = 1} * In::size + kernels::requantize_ops * channels +
                     fc1_stage::ops * squeezed + fc2_stage::ops * channels +
                     kernels::elementwise::scale_channels_int8_ops * In::size,
  };

  static constexpr kernels::KernelRecord kernel_record{
      .dtype = DType::i8, .op = kernels::KernelOp::se, .impl = kernels::KernelImpl::reference};

  static void pack(const PackSources& sources, std::byte* storage) {
    // fc1 [squeezed][C][1][1] and fc2 [C][squeezed][1][1] are 1x1 convolutions.
    pack_int8_conv_weights(squeezed, channels, 1, true, sources.values<std::int8_t>(0),
                           reinterpret_cast<std::int8_t*>(storage + fc1_weights));
    pack_int8_conv_weights(channels, squeezed, 1, true, sources.values<std::int8_t>(fc1_tensors),
                           reinterpret_cast<std::int8_t*>(storage + fc2_weights));
    // fc1 reads the pooled input, which keeps the input's quantization.
    const OutputStageSources first = output_stage_sources<true, table>(sources);
    fc1_stage::pack(first, storage + fc1_stage_offset);
    PackSources rest = sources;
    rest.tensors += fc1_tensors;
    rest.count -= fc1_tensors;
    const QuantParams hidden = table ? first.activation : first.output;
    rest.input = &hidden;
    const OutputStageSources second = output_stage_sources<true, true>(rest);
    fc2_stage::pack(second, storage + fc2_stage_offset);
    const QuantParams out = params_at(sources, static_cast<std::size_t>(output_quantization));
    const float input_scale = sources.input->scale;
    const GateStorage g{
        sources.input->zero_point, input_scale / (input_scale * static_cast<float>(In::pixels)),
        second.activation.zero_point,
        requantization_multiplier(sources.input->scale, second.activation.scale, out.scale),
        out.zero_point};
    std::memcpy(storage + gate_offset, &g, sizeof g);
  }

  /// Made from the float layer's fc1 and fc2 weights and biases.
  static constexpr auto float_tensors = info::tensors;
  static void quantize(const PackSources& floats, void* const* outputs) {
    PackSources fc = floats;
    fc.count = 2;
    quantize_weights_of(
        WeightQuantizing{squeezed, static_cast<std::size_t>(channels), Norm::bias, 0.0}, fc,
        static_cast<std::int8_t*>(outputs[0]), static_cast<float*>(outputs[1]),
        static_cast<float*>(outputs[2]));
    fc.tensors += 2;
    quantize_weights_of(
        WeightQuantizing{channels, static_cast<std::size_t>(squeezed), Norm::bias, 0.0}, fc,
        static_cast<std::int8_t*>(outputs[fc1_tensors]),
        static_cast<float*>(outputs[fc1_tensors + 1]),
        static_cast<float*>(outputs[fc1_tensors + 2]));
  }

  static void run(const std::byte* storage, const std::int8_t* in, std::int8_t* out,
                  std::byte* scratch, const RunContext& context) {
    GateStorage g;
    std::memcpy(&g, storage + gate_offset, sizeof g);
    auto* pooled = reinterpret_cast<std::int8_t*>(scratch);
    auto* hidden = reinterpret_cast<std::int8_t*>(scratch + hidden_offset);
    auto* gates = reinterpret_cast<std::int8_t*>(scratch + gates_offset);
    kernels::pool::global_average_int8(In::pixels, channels, in, g.pool_zero_point,
                                       g.pool_multiplier, g.pool_zero_point, pooled);
    const std::byte* stage1 = storage + fc1_stage_offset;
    kernels::pointwise::reference_int8(0, 1, 0, squeezed, channels, squeezed, pooled,
                                       fc1_stage::header(stage1).input_zero_point,
                                       reinterpret_cast<const std::int8_t*>(storage + fc1_weights),
                                       fc1_stage::stage(stage1), hidden);
    const std::byte* stage2 = storage + fc2_stage_offset;
    kernels::pointwise::reference_int8(0, 1, 0, channels, squeezed, channels, hidden,
                                       fc2_stage::header(stage2).input_zero_point,
                                       reinterpret_cast<const std::int8_t*>(storage + fc2_weights),
                                       fc2_stage::stage(stage2), gates);
    parallel_ranges(context, In::pixels, 64, [&](std::size_t first, std::size_t last) {
      kernels::elementwise::scale_channels_int8(
          last - first, channels, in + first * channels, g.pool_zero_point, gates,
          g.gate_zero_point, g.multiplier, g.output_zero_point, out + first * channels);
    });
  }
};

}  // namespace joule::inline JOULE_TARGET::quant

namespace joule::inline JOULE_TARGET {
template <>
struct SqueezeExciteFor<Int8> {
  template <class Spec, ShapeType In>
  using type = quant::QuantizedSqueezeExcite<Spec, In>;
};
}  // namespace joule::inline JOULE_TARGET
