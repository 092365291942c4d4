// Folding a BatchNorm into the convolution before it. With s = gamma / sqrt(var + eps),
//   BN(conv(x) + b) = conv_{w * s}(x) + (b - mean) * s + beta,
// so the pair runs as one convolution with scaled weights and a new bias, and the BatchNorm
// costs nothing at inference.
#pragma once

#include <cmath>
#include <cstddef>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// The four tensors of a torch.nn.BatchNorm2d over `channels` channels.
struct BatchNormTensors {
  const float* weight;  // gamma
  const float* bias;    // beta
  const float* running_mean;
  const float* running_var;
};

/// The factor gamma / sqrt(var + eps) of channel c, in double so that folding adds no error
/// beyond the final rounding to float.
inline double batch_norm_scale(const BatchNormTensors& bn, int c, double eps) {
  return static_cast<double>(bn.weight[c]) / std::sqrt(static_cast<double>(bn.running_var[c]) + eps);
}

/// The bias of the folded convolution for channel c: (b - mean) * scale + beta.
inline double folded_bias(const BatchNormTensors& bn, int c, double scale, double conv_bias) {
  return (conv_bias - bn.running_mean[c]) * scale + bn.bias[c];
}

/// Folds `bn` into a convolution in PyTorch's layout, in place: weights [out][...] with
/// `weights_per_output` values per output channel, and `bias` (zeros if the convolution has none),
/// which receives the folded bias. Layers fold while they pack; this is the same for code that
/// holds PyTorch tensors.
inline void fold_batch_norm(int out_channels, std::size_t weights_per_output, float* weights, float* bias,
                            const BatchNormTensors& bn, double eps) {
  for (int c = 0; c < out_channels; ++c) {
    const double scale = batch_norm_scale(bn, c, eps);
    float* w = weights + static_cast<std::size_t>(c) * weights_per_output;
    for (std::size_t j = 0; j < weights_per_output; ++j) w[j] = static_cast<float>(w[j] * scale);
    bias[c] = static_cast<float>(folded_bias(bn, c, scale, bias[c]));
  }
}

}  // namespace joule::inline JOULE_TARGET
