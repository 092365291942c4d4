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
// Cost, report, visiting and the arena contract are Net's, computed for int8 tensors. A source of
// the quantized tensors comes from quant::quantize_weights (float weights and calibration), from a
// file written by `joule quantize`, or from tools/export.py --quantized (a PyTorch-quantized
// model).
#pragma once

#include "joule/core/target.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/network.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/quant/add.hpp"
#include "joule/quant/conv.hpp"
#include "joule/quant/edges.hpp"
#include "joule/quant/int8.hpp"
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

namespace quant {

/// Net (a float Network, a zoo model) in int8 with float input and output.
template <class Net>
using Quantized = typename Net::template with_precision<Int8>;

}  // namespace quant
}  // namespace joule::inline JOULE_TARGET
