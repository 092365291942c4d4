// torchvision's MobileNetV2 (1.0, 224x224, 1000 classes) written down independently of joule's
// model types: its convolutions in order, with torchvision's module names, and random weights
// for all of its state_dict tensors. A peer builds its network from this; the check binds the
// same tensors to joule's MobileNetV2<> by name, so a naming or structure mismatch on either
// side fails the check instead of passing silently.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "torch_state_dict.hpp"

namespace joule::peers::mobilenet_v2 {

inline constexpr int resolution = 224;
inline constexpr int input_channels = 3;
inline constexpr int last_channels = 1280;
inline constexpr int classes = 1000;
inline constexpr float batch_norm_eps = 1e-5f;
inline constexpr const char* classifier = "classifier.1";  // classifier.0 is Dropout

/// One Conv2d followed by BatchNorm2d (and ReLU6 where torchvision has it).
struct ConvLayer {
  std::string conv;        // module path of the Conv2d; its tensor is conv + ".weight" (bias=False)
  std::string batch_norm;  // module path of the BatchNorm2d
  int in_size;             // input height = width
  int in_channels, out_channels, kernel, stride, groups;
  bool relu6;
  bool opens_residual;   // this layer's input is the block input a residual add will reuse
  bool closes_residual;  // after this layer, add that block input (stride 1, channels unchanged)

  int padding() const { return (kernel - 1) / 2; }
  int out_size() const { return (in_size + 2 * padding() - kernel) / stride + 1; }
  std::vector<std::int64_t> weight_dims() const { return {out_channels, in_channels / groups, kernel, kernel}; }
  double macs() const {
    return double(out_size()) * out_size() * out_channels * (in_channels / groups) * kernel * kernel;
  }
};

/// torchvision's inverted_residual_setting: expansion t, channels c, repeats n, first stride s.
struct Stage {
  int expand, channels, repeats, stride;
};
inline constexpr Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                   {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};

/// features.0 (stem), features.1..17 (inverted residuals), features.18 (last 1x1 conv).
inline std::vector<ConvLayer> conv_layers() {
  std::vector<ConvLayer> layers;
  int size = resolution;
  auto add = [&](std::string module, std::string norm, int in, int out, int kernel, int stride, int groups,
                 bool relu6) {
    layers.push_back(ConvLayer{std::move(module), std::move(norm), size, in, out, kernel, stride, groups, relu6,
                               false, false});
    size = layers.back().out_size();
  };
  add("features.0.0", "features.0.1", input_channels, 32, 3, 2, 1, true);
  int channels = 32;
  int index = 1;
  for (const Stage& stage : stages) {
    for (int repeat = 0; repeat < stage.repeats; ++repeat, ++index) {
      const int stride = repeat == 0 ? stage.stride : 1;
      const int hidden = channels * stage.expand;  // round(inp * t): exact for integer t
      const std::string block = "features." + std::to_string(index) + ".conv.";
      const std::size_t first = layers.size();
      // torchvision numbers the block's submodules 0, 1, ... and drops the expansion when t == 1.
      int part = 0;
      if (stage.expand != 1) {
        add(block + "0.0", block + "0.1", channels, hidden, 1, 1, 1, true);
        part = 1;
      }
      const std::string depthwise = block + std::to_string(part);
      add(depthwise + ".0", depthwise + ".1", hidden, hidden, 3, stride, hidden, true);
      add(block + std::to_string(part + 1), block + std::to_string(part + 2), hidden, stage.channels, 1, 1, 1,
          false);
      if (stride == 1 && channels == stage.channels) {
        layers[first].opens_residual = true;
        layers.back().closes_residual = true;
      }
      channels = stage.channels;
    }
  }
  add("features.18.0", "features.18.1", channels, last_channels, 1, 1, 1, true);
  return layers;
}

inline double macs() {
  double total = double(last_channels) * classes;
  for (const ConvLayer& layer : conv_layers()) total += layer.macs();
  return total;
}

/// Weights after BatchNorm folding: every conv's weight and bias, the classifier's weight and bias.
inline double folded_weight_floats() {
  double total = double(last_channels) * classes + classes;
  for (const ConvLayer& layer : conv_layers())
    total += double(layer.out_channels) * (layer.in_channels / layer.groups) * layer.kernel * layer.kernel +
             layer.out_channels;
  return total;
}

/// Random torch-layout tensors for every float tensor of torchvision's state_dict (not
/// num_batches_tracked). Moderate on purpose, so that activations stay O(1) through 52 layers:
/// weights U(-a, a) with a = sqrt(3 / fan_in) (variance 1 / fan_in), BatchNorm gamma and
/// running_var in U(0.5, 1.5), beta and running_mean in U(-0.5, 0.5) (away from the defaults, so
/// that folding is exercised).
inline StateDict random_state_dict(std::uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_real_distribution<float> positive(0.5f, 1.5f);
  auto fill = [&](std::size_t count, auto draw) {
    std::vector<float> values(count);
    for (float& value : values) value = draw();
    return values;
  };
  auto weights = [&](std::size_t count, int fan_in) {
    const float bound = std::sqrt(3.0f / float(fan_in));
    return fill(count, [&] { return bound * unit(engine); });
  };
  auto centered = [&](std::size_t count) { return fill(count, [&] { return 0.5f * unit(engine); }); };
  auto around_one = [&](std::size_t count) { return fill(count, [&] { return positive(engine); }); };

  StateDict dict;
  for (const ConvLayer& layer : conv_layers()) {
    const int fan_in = layer.in_channels / layer.groups * layer.kernel * layer.kernel;
    const std::size_t out = std::size_t(layer.out_channels);
    const std::vector<std::int64_t> dims = layer.weight_dims();
    dict.add(layer.conv + ".weight", dims, weights(out * std::size_t(fan_in), fan_in));
    dict.add(layer.batch_norm + ".weight", {layer.out_channels}, around_one(out));
    dict.add(layer.batch_norm + ".bias", {layer.out_channels}, centered(out));
    dict.add(layer.batch_norm + ".running_mean", {layer.out_channels}, centered(out));
    dict.add(layer.batch_norm + ".running_var", {layer.out_channels}, around_one(out));
  }
  dict.add(std::string(classifier) + ".weight", {classes, last_channels},
           weights(std::size_t(classes) * last_channels, last_channels));
  dict.add(std::string(classifier) + ".bias", {classes}, centered(classes));
  return dict;
}

}  // namespace joule::peers::mobilenet_v2
