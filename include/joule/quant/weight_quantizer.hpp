// How a layer's float weights become its int8 ones (what `joule quantize` does for each layer):
// the BatchNorm folded into the convolution as float32 packing folds it, then each output channel
// quantized symmetrically, scale = max |w| / 127 and q = round(w / scale) in [-127, 127] (zero
// point 0; -128 unused, so that -q is always representable). The folded bias stays float; the
// layer quantizes it to int32 when it packs, with its input's scale.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "joule/core/pack_sources.hpp"
#include "joule/core/target.hpp"
#include "joule/layers/batch_norm_fold.hpp"
#include "joule/layers/conv_options.hpp"

namespace joule::inline JOULE_TARGET::quant {

/// What quantizing a convolution's (or linear layer's) weights depends on.
struct WeightQuantizing {
  int out_channels;
  std::size_t per_output;  // weights per output channel in PyTorch's layout
  Norm norm;  // Norm::batch: sources 1..4 are the BatchNorm; Norm::bias: source 1 the bias
  double bn_eps;
};

/// sources (PyTorch's tensors of the float layer) into the int8 weights [out][per_output], their
/// per-channel scales and the folded bias (null when the layer has none).
// Not inlined: one copy serves every layer.
[[gnu::noinline]] inline void quantize_weights_of(const WeightQuantizing& q,
                                                  const PackSources& sources, std::int8_t* weights,
                                                  float* scales, float* bias) {
  const float* w = sources.values(0);
  const BatchNormTensors bn = q.norm == Norm::batch
                                  ? BatchNormTensors{sources.values(1), sources.values(2),
                                                     sources.values(3), sources.values(4)}
                                  : BatchNormTensors{};
  for (int o = 0; o < q.out_channels; ++o) {
    const double fold = q.norm == Norm::batch ? batch_norm_scale(bn, o, q.bn_eps) : 1.0;
    const float* row = w + static_cast<std::size_t>(o) * q.per_output;
    float largest = 0.0f;
    for (std::size_t i = 0; i < q.per_output; ++i) {
      const float folded = static_cast<float>(row[i] * fold);
      largest = std::fabs(folded) > largest ? std::fabs(folded) : largest;
    }
    // All-zero channels get scale 1: any positive scale represents them exactly.
    const float scale = largest > 0.0f ? largest / 127.0f : 1.0f;
    scales[o] = scale;
    for (std::size_t i = 0; i < q.per_output; ++i) {
      const double value =
          std::nearbyint(static_cast<double>(static_cast<float>(row[i] * fold)) / scale);
      weights[static_cast<std::size_t>(o) * q.per_output + i] =
          static_cast<std::int8_t>(value > 127.0 ? 127.0 : (value < -127.0 ? -127.0 : value));
    }
    if (bias == nullptr) continue;
    if (q.norm == Norm::batch) bias[o] = static_cast<float>(folded_bias(bn, o, fold, 0.0));
    if (q.norm == Norm::bias) bias[o] = sources.values(1)[o];
  }
}

}  // namespace joule::inline JOULE_TARGET::quant
