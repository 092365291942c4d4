// Folding a BatchNorm into the convolution before it. With s = gamma / sqrt(var + eps),
//   BN(conv(x) + b) = conv_{w * s}(x) + (b - mean) * s + beta,
// so the pair runs as one convolution with scaled weights and a new bias, and the BatchNorm
// costs nothing at inference.
#pragma once

#include <cmath>
#include <cstddef>

namespace joule {

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

/// Folds `bn` into convolution weights whose output channel is the fastest index (joule's HWIO
/// layout: weights[j] belongs to output channel j % out_channels) and into `bias`, which holds
/// the convolution's own bias (zeros if it has none) and receives the folded bias.
inline void fold_batch_norm(int out_channels, std::size_t weight_count, float* weights, float* bias,
                            const BatchNormTensors& bn, double eps) {
  for (int c = 0; c < out_channels; ++c) {
    const double scale = batch_norm_scale(bn, c, eps);
    for (std::size_t j = static_cast<std::size_t>(c); j < weight_count; j += out_channels) {
      weights[j] = static_cast<float>(weights[j] * scale);
    }
    bias[c] = static_cast<float>((static_cast<double>(bias[c]) - bn.running_mean[c]) * scale +
                                 bn.bias[c]);
  }
}

}  // namespace joule
