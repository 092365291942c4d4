// The edges of an int8 network with float input and output: QuantizeInput turns the float input
// into int8 with the parameters quant.scale / quant.zero_point (torchvision's QuantStub name),
// DequantizeOutput turns the int8 logits back into float with their own parameters (so it takes
// no tensors). quant::Quantized<Net> puts them around the network's layers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/int8_reference.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/quant/int8.hpp"
#include "joule/quant/output_stage.hpp"

namespace joule::inline JOULE_TARGET::quant {

struct EdgeStorage {
  float scale;  // 1 / scale when quantizing
  std::int32_t zero_point;
};

template <ShapeType In>
struct BoundQuantizeInput : LeafBase {
  using input = In;
  using output = In;
  static constexpr DType input_dtype = DType::f32;
  static constexpr DType output_dtype = DType::i8;
  static constexpr std::string_view kind = "Quantize";
  static constexpr std::array<std::string_view, 1> part_names{""};
  static constexpr std::array<TensorSpec, 2> tensors{
      TensorSpec{"scale", 0, 0, {}, DType::f32}, TensorSpec{"zero_point", 0, 0, {}, DType::i32}};
  static constexpr int output_quantization = 0;
  static constexpr std::size_t weight_bytes = sizeof(EdgeStorage);
  static constexpr Cost cost = {.activation_read_bytes = In::size * sizeof(float),
                                .activation_write_bytes = In::size,
                                .elementwise = kernels::elementwise::quantize_ops * In::size};
  static constexpr kernels::KernelRecord kernel_record{.dtype = DType::i8,
                                                       .op = kernels::KernelOp::quantize,
                                                       .impl = kernels::KernelImpl::reference};

  static void pack(const PackSources& sources, std::byte* storage) {
    const QuantParams p = params_at(sources, 0);
    const EdgeStorage s{1.0f / p.scale, p.zero_point};
    std::memcpy(storage, &s, sizeof s);
  }
  static void run(const std::byte* storage, const float* in, std::int8_t* out, std::byte*,
                  const RunContext&) {
    EdgeStorage s;
    std::memcpy(&s, storage, sizeof s);
    kernels::elementwise::quantize(In::size, in, s.scale, s.zero_point, out);
  }
};

template <ShapeType In>
struct BoundDequantizeOutput : LeafBase {
  using input = In;
  using output = In;
  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::f32;
  static constexpr std::string_view kind = "Dequantize";
  static constexpr std::size_t weight_bytes = sizeof(EdgeStorage);
  static constexpr Cost cost = {.activation_read_bytes = In::size,
                                .activation_write_bytes = In::size * sizeof(float),
                                .elementwise = kernels::elementwise::dequantize_ops * In::size};
  static constexpr kernels::KernelRecord kernel_record{.dtype = DType::i8,
                                                       .op = kernels::KernelOp::dequantize,
                                                       .impl = kernels::KernelImpl::reference};

  static void pack(const PackSources& sources, std::byte* storage) {
    const EdgeStorage s{sources.input->scale, sources.input->zero_point};
    std::memcpy(storage, &s, sizeof s);
  }
  static void run(const std::byte* storage, const std::int8_t* in, float* out, std::byte*,
                  const RunContext&) {
    EdgeStorage s;
    std::memcpy(&s, storage, sizeof s);
    kernels::elementwise::dequantize(In::size, in, s.scale, s.zero_point, out);
  }
};

/// The specs of the two edges; they exist in int8 only.
struct QuantizeInput : LayerSpec {
  template <ShapeType In, class P>
  using bind = BoundQuantizeInput<In>;
};
struct DequantizeOutput : LayerSpec {
  template <ShapeType In, class P>
  using bind = BoundDequantizeOutput<In>;
};

}  // namespace joule::inline JOULE_TARGET::quant
