// The edges of an int8 network with int8 input and output, for pipelines that already hold int8
// (a camera's or a previous network's quantized tensor, a firmware's test vectors):
// quant::Quantized<Net, quant::Edges::int8> puts them around the network's layers in place of the
// float edges (quant/edges.hpp). They do no arithmetic; each holds a quantization in the weights,
// so that a caller can read it (quant::input_quantization, quant::output_quantization):
//   InputQuantization   the input's scale and zero point, tensors quant.scale / quant.zero_point
//                       (the float network's QuantizeInput takes the same tensors), passed on to
//                       the first layer;
//   OutputQuantization  the last layer's output quantization (it takes no tensors).
// Both run in place: the tensor stays where it is, and is copied only when the arena plan puts
// the output elsewhere.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/quant_params.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/quant/edges.hpp"
#include "joule/quant/output_stage.hpp"

namespace joule::inline JOULE_TARGET::quant {

/// What an int8 edge does with the tensor: nothing when it runs in place.
template <ShapeType In>
struct Int8EdgeBase : LeafBase {
  using input = In;
  using output = In;
  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::i8;
  static constexpr bool in_place = true;
  static constexpr std::size_t weight_bytes = sizeof(EdgeStorage);
  static constexpr Cost cost = {};
  static constexpr kernels::KernelRecord kernel_record{
      .dtype = DType::i8, .op = kernels::KernelOp::copy, .impl = kernels::KernelImpl::reference};

  static void run(const std::byte*, const std::int8_t* in, std::int8_t* out, std::byte*,
                  const RunContext&) {
    if (in != out) std::memcpy(out, in, In::size);
  }
  /// The quantization this edge holds (storage: its bound weights).
  static QuantParams params(const std::byte* storage) {
    EdgeStorage s;
    std::memcpy(&s, storage, sizeof s);
    return QuantParams{s.scale, s.zero_point};
  }
};

template <ShapeType In>
struct BoundInputQuantization : Int8EdgeBase<In> {
  static constexpr std::string_view kind = "InputQuantization";
  static constexpr std::array<std::string_view, 1> part_names{""};
  static constexpr std::array<TensorSpec, 2> tensors{
      TensorSpec{"scale", 0, 0, {}, DType::f32}, TensorSpec{"zero_point", 0, 0, {}, DType::i32}};
  static constexpr int output_quantization = 0;
  static constexpr bool defines_input_quantization = true;

  static void pack(const PackSources& sources, std::byte* storage) {
    const QuantParams p = params_at(sources, 0);
    const EdgeStorage s{p.scale, p.zero_point};
    std::memcpy(storage, &s, sizeof s);
  }
};

template <ShapeType In>
struct BoundOutputQuantization : Int8EdgeBase<In> {
  static constexpr std::string_view kind = "OutputQuantization";

  static void pack(const PackSources& sources, std::byte* storage) {
    const EdgeStorage s{sources.input->scale, sources.input->zero_point};
    std::memcpy(storage, &s, sizeof s);
  }
};

/// The specs of the two edges; they exist in int8 only.
struct InputQuantization : LayerSpec {
  template <ShapeType In, class P>
  using bind = BoundInputQuantization<In>;
};
struct OutputQuantization : LayerSpec {
  template <ShapeType In, class P>
  using bind = BoundOutputQuantization<In>;
};

}  // namespace joule::inline JOULE_TARGET::quant
