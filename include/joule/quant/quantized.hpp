// Quantized<Net>: a network in int8. The same layers as Net, bound in Int8 precision, with the
// float input quantized first (by the parameters quant.scale / quant.zero_point) and the int8
// output dequantized last, so that it is used as Net is: float in, float out.
//
//   using Net = models::MobileNetV2<>;
//   using Q = quant::Quantized<Net>;
//   static_assert(Q::weight_bytes < Net::weight_bytes / 3);
//   Status s = bind_weights<Q>(quantized_source, q_weights);   // tensors as docs/quantization.md
//   Q q(q_weights, q_arena);
//   q.forward(input, output);
//
// Pipelines that already hold int8 take Quantized<Net, Edges::int8>: int8 in, int8 out, the same
// tensors bound, no float tensor in its arena. The caller quantizes with the input's parameters and
// reads the logits with the output's, both read from the bound weights:
//
//   using Q8 = quant::Quantized<Net, quant::Edges::int8>;
//   const QuantParams in = quant::input_quantization<Q8>(q8_weights.span());
//   const QuantParams out = quant::output_quantization<Q8>(q8_weights.span());
//   q8.forward(int8_input, int8_logits);   // real logit = out.scale * (q - out.zero_point)
//
// Cost, report, visiting and the arena contract are Net's, computed for int8 tensors. A source of
// the quantized tensors comes from quant::quantize_weights (float weights and calibration), from a
// file written by `joule quantize`, or from tools/export.py --quantized (a PyTorch-quantized
// model).
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

#include "joule/core/quant_params.hpp"
#include "joule/core/target.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/network.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/quant/add.hpp"
#include "joule/quant/conv.hpp"
#include "joule/quant/edges.hpp"
#include "joule/quant/int8.hpp"
#include "joule/quant/int8_edges.hpp"
#include "joule/quant/linear.hpp"
#include "joule/quant/pool.hpp"

namespace joule::inline JOULE_TARGET {

// The layers sit in an unnamed sequence between the edges, so that they keep the float
// network's indices and names.
template <ShapeType In, class... Layers>
struct network_root<Int8, In, Layers...> {
  using type =
      bind_sequence_t<In, Int8, Named<"quant", quant::QuantizeInput>,
                      Named<"", Sequential<Layers...>>, Named<"dequant", quant::DequantizeOutput>>;
};
template <ShapeType In, class... Layers>
struct network_root<Int8InOut, In, Layers...> {
  using type =
      bind_sequence_t<In, Int8, Named<"quant", quant::InputQuantization>,
                      Named<"", Sequential<Layers...>>, Named<"output", quant::OutputQuantization>>;
};

namespace quant {

/// What a quantized network takes and gives: float tensors (quantized and dequantized at its
/// edges) or int8 ones.
enum class Edges { float32, int8 };

/// Net (a float Network, a zoo model) in int8, with float (default) or int8 input and output.
template <class Net, Edges E = Edges::float32>
using Quantized =
    typename Net::template with_precision<std::conditional_t<E == Edges::float32, Int8, Int8InOut>>;

template <class Net>
concept Int8Edged = std::is_same_v<typename Net::precision, Int8InOut>;

/// The quantization of an int8-edged network's input: what the caller quantizes with.
template <Int8Edged Net>
QuantParams input_quantization(std::span<const std::byte, Net::weight_bytes> weights) {
  using Root = typename Net::root;
  return BoundInputQuantization<typename Net::input>::params(weights.data() +
                                                             Root::weight_offsets[0]);
}

/// The quantization of an int8-edged network's output: real = scale * (q - zero_point).
template <Int8Edged Net>
QuantParams output_quantization(std::span<const std::byte, Net::weight_bytes> weights) {
  using Root = typename Net::root;
  return BoundOutputQuantization<typename Net::output>::params(
      weights.data() + Root::weight_offsets[Root::count - 1]);
}

}  // namespace quant
}  // namespace joule::inline JOULE_TARGET
