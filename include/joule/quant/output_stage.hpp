// The part of an int8 layer's weight storage that turns its int32 sums into its int8 output, and
// how it is packed. Every int8 layer with weights (convolutions, linear layers, squeeze-excite's
// two small layers) holds one:
//
//   offset 0                  OutputStageHeader: input and output zero points, the clamp
//   bias_offset               int32 bias per output channel (quantize_bias), padded to 32
//   multiplier_offset         float multiplier per output channel (requantization_multiplier)
//   table_offset (tables)     256 int8: the activation from the output to its own parameters
//
// The activation decides the rest: a clamp (Identity, ReLU, ReLU6) narrows [low, high]; any other
// is a table from the output's parameters to the activation's (quant/activation_table.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/core/alignment.hpp"
#include "joule/core/pack_sources.hpp"
#include "joule/core/quant_params.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/quant/activation_table.hpp"
#include "joule/quant/params.hpp"

namespace joule::inline JOULE_TARGET::quant {

struct OutputStageHeader {
  std::int32_t input_zero_point;
  std::int32_t output_zero_point;
  std::int32_t low;
  std::int32_t high;
};

/// What a layer's output stage is made from when packing.
struct OutputStageSources {
  QuantParams input;          // of the layer's input
  const float* weight_scale;  // per output channel
  const float* bias;          // per output channel, or null
  QuantParams output;         // of the sums requantized (before a table activation)
  QuantParams activation;     // of the activation's output (tables only)
  bool relu6_as_relu = false;
};

/// The packing of every output stage, sizes at run time.
// Not inlined: one copy serves every layer (a layer's pack is called once, at binding).
[[gnu::noinline]] inline void pack_output_stage(
    const OutputStageSources& s, int channels, Clamp clamp,
    void (*table)(QuantParams, QuantParams, std::int8_t*), std::byte* storage,
    std::size_t bias_offset, std::size_t multiplier_offset, std::size_t table_offset) {
  const OutputStageHeader h{s.input.zero_point, s.output.zero_point, clamp.low, clamp.high};
  std::memcpy(storage, &h, sizeof h);
  auto* bias = reinterpret_cast<std::int32_t*>(storage + bias_offset);
  auto* multiplier = reinterpret_cast<float*>(storage + multiplier_offset);
  for (int o = 0; o < channels; ++o) {
    bias[o] = s.bias ? quantize_bias(s.bias[o], s.input.scale, s.weight_scale[o]) : 0;
    multiplier[o] = requantization_multiplier(s.input.scale, s.weight_scale[o], s.output.scale);
  }
  if (table) table(s.output, s.activation, reinterpret_cast<std::int8_t*>(storage + table_offset));
}

template <int Channels, Activation Act>
struct OutputStage {
  static constexpr bool table = needs_table<Act>;
  static constexpr std::size_t padded = kernels::gemm::padded_cols(Channels);
  static constexpr std::size_t bias_offset = aligned_bytes(sizeof(OutputStageHeader));
  static constexpr std::size_t multiplier_offset =
      bias_offset + aligned_bytes(padded * sizeof(std::int32_t));
  static constexpr std::size_t table_offset =
      multiplier_offset + aligned_bytes(padded * sizeof(float));
  static constexpr std::size_t bytes = table_offset + (table ? 256 : 0);
  /// What the kernels read of it per inference.
  static constexpr std::size_t read_bytes =
      Channels * (sizeof(std::int32_t) + sizeof(float)) + (table ? 256 : 0);
  /// Its operations per output element.
  static constexpr ElementwiseOps ops = kernels::Int8Output::ops(table);

  static OutputStageHeader header(const std::byte* storage) {
    OutputStageHeader h;
    std::memcpy(&h, storage, sizeof h);
    return h;
  }

  /// The kernels' view of it.
  static kernels::Int8Output stage(const std::byte* storage) {
    const OutputStageHeader h = header(storage);
    kernels::Int8Output out;
    out.bias = reinterpret_cast<const std::int32_t*>(storage + bias_offset);
    out.multiplier = reinterpret_cast<const float*>(storage + multiplier_offset);
    out.zero_point = h.output_zero_point;
    out.low = h.low;
    out.high = h.high;
    out.table = table ? reinterpret_cast<const std::int8_t*>(storage + table_offset) : nullptr;
    return out;
  }

  static void pack(const OutputStageSources& s, std::byte* storage) {
    if constexpr (table) {
      pack_output_stage(s, Channels, Clamp{}, &build_table<Act>, storage, bias_offset,
                        multiplier_offset, table_offset);
    } else {
      pack_output_stage(s, Channels, clamp_for<Act>(s.output, s.relu6_as_relu), nullptr, storage,
                        bias_offset, multiplier_offset, table_offset);
    }
  }
};

/// A scalar quantization tensor pair (scale, zero point) from pack's sources.
inline QuantParams params_at(const PackSources& sources, std::size_t scale_index) {
  return QuantParams{sources.values<float>(scale_index)[0],
                     sources.values<std::int32_t>(scale_index + 1)[0]};
}

}  // namespace joule::inline JOULE_TARGET::quant
