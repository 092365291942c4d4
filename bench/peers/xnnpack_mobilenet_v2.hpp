// torchvision's MobileNetV2 1.0-224 built from XNNPACK operators (its operator API, one
// xnn_operator per layer), from torch-layout tensors: BatchNorm folded into each convolution's
// weights and bias here, the weights repacked from PyTorch's OIHW to XNNPACK's OHWI, ReLU6 as the
// operators' output clamp. The benchmark times run(); the check compares its output with joule.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "torch_state_dict.hpp"
#include "torchvision_mobilenet_v2.hpp"
#include "xnnpack_support.hpp"

namespace joule::peers {

/// A convolution with its BatchNorm folded in, in XNNPACK's layout.
struct FoldedConv {
  std::vector<float> kernel;  // [out][kh][kw][in / groups]
  std::vector<float> bias;    // [out]
};

/// scale = gamma / sqrt(running_var + eps); weight' = weight * scale; bias' = beta - mean * scale.
/// Folding in double keeps it from adding its own rounding to the comparison with joule.
inline FoldedConv fold_batch_norm(const StateDict& dict, const mobilenet_v2::ConvLayer& layer) {
  const std::vector<float>& weight = dict.require(layer.conv + ".weight", layer.weight_dims());
  const std::vector<std::int64_t> per_channel{layer.out_channels};
  const std::vector<float>& gamma = dict.require(layer.batch_norm + ".weight", per_channel);
  const std::vector<float>& beta = dict.require(layer.batch_norm + ".bias", per_channel);
  const std::vector<float>& mean = dict.require(layer.batch_norm + ".running_mean", per_channel);
  const std::vector<float>& var = dict.require(layer.batch_norm + ".running_var", per_channel);

  const std::size_t in = std::size_t(layer.in_channels / layer.groups), k = std::size_t(layer.kernel);
  FoldedConv folded{std::vector<float>(weight.size()), std::vector<float>(std::size_t(layer.out_channels))};
  for (std::size_t o = 0; o < folded.bias.size(); ++o) {
    const double scale = double(gamma[o]) / std::sqrt(double(var[o]) + double(mobilenet_v2::batch_norm_eps));
    folded.bias[o] = float(double(beta[o]) - double(mean[o]) * scale);
    // XNNPACK's grouped kernel is [groups][out per group][kh][kw][in per group]; with out channels
    // numbered group-major that is [out][kh][kw][in per group], torch's [out][in][kh][kw]
    // transposed per output channel. For depthwise (in per group 1) nothing moves.
    for (std::size_t i = 0; i < in; ++i)
      for (std::size_t y = 0; y < k; ++y)
        for (std::size_t x = 0; x < k; ++x)
          folded.kernel[((o * k + y) * k + x) * in + i] = float(double(weight[((o * in + i) * k + y) * k + x]) * scale);
  }
  return folded;
}

class XnnpackMobileNetV2 {
 public:
  /// Creates and sets up every operator for batch 1 on `pool` (nullptr: the calling thread only).
  /// Weights are packed now; `dict` is not used afterwards. Throws std::runtime_error naming the
  /// XNNPACK call or tensor that failed.
  XnnpackMobileNetV2(const StateDict& dict, pthreadpool_t pool)
      : pool_(pool),
        input_(std::size_t(mobilenet_v2::resolution) * mobilenet_v2::resolution * mobilenet_v2::input_channels),
        pooled_(mobilenet_v2::last_channels),
        output_(mobilenet_v2::classes) {
    require("xnn_initialize", xnn_initialize(nullptr));
    const std::vector<mobilenet_v2::ConvLayer> layers = mobilenet_v2::conv_layers();

    // Three buffers of the largest activation suffice: a layer writes to one that is neither its
    // input nor a block input kept for the residual add. Reuse like this (as joule's arena and
    // XNNPACK's own runtime do) keeps the working set, and so the cache behaviour, comparable.
    std::size_t largest = 0;
    for (const auto& layer : layers) {
      largest = std::max(largest, std::size_t(layer.in_size) * layer.in_size * layer.in_channels);
      largest = std::max(largest, std::size_t(layer.out_size()) * layer.out_size() * layer.out_channels);
    }
    for (int i = 0; i < 3; ++i) activations_.emplace_back(largest);

    int current = -1;  // -1: input_
    int held = -1;     // the block input a residual add will read, or -1
    for (const auto& layer : layers) {
      if (layer.opens_residual) held = current;
      const int out = free_buffer(current, held);
      add_convolution(dict, layer, buffer(current), buffer(out));
      current = out;
      if (layer.closes_residual) {
        const int sum = free_buffer(current, held);
        add_residual(layer, buffer(held), buffer(current), buffer(sum));
        current = sum;
        held = -1;
      }
    }

    const auto& last = layers.back();
    constexpr float inf = std::numeric_limits<float>::infinity();
    xnn_operator_t op = nullptr;
    require("xnn_create_global_average_pooling_nwc_f32",
            xnn_create_global_average_pooling_nwc_f32(mobilenet_v2::last_channels, mobilenet_v2::last_channels,
                                                      mobilenet_v2::last_channels, -inf, inf, 0, &op));
    ops_.emplace_back(op);
    require("xnn_setup_global_average_pooling_nwc_f32",
            xnn_setup_global_average_pooling_nwc_f32(op, 1, std::size_t(last.out_size()) * last.out_size(),
                                                     buffer(current), pooled_.data(), pool_));

    // torch's Linear weight [out][in] is XNNPACK's fully-connected kernel without TRANSPOSE_WEIGHTS.
    const std::string name = mobilenet_v2::classifier;
    const auto& weight = dict.require(name + ".weight", {mobilenet_v2::classes, mobilenet_v2::last_channels});
    const auto& bias = dict.require(name + ".bias", {mobilenet_v2::classes});
    op = nullptr;
    require("xnn_create_fully_connected_nc_f32",
            xnn_create_fully_connected_nc_f32(mobilenet_v2::last_channels, mobilenet_v2::classes,
                                              mobilenet_v2::last_channels, mobilenet_v2::classes, weight.data(),
                                              bias.data(), -inf, inf, 0, &op));
    ops_.emplace_back(op);
    require("xnn_setup_fully_connected_nc_f32",
            xnn_setup_fully_connected_nc_f32(op, 1, pooled_.data(), output_.data(), pool_));
  }

  /// NHWC 224x224x3, to be written before run().
  float* input() { return input_.data(); }
  /// 1000 logits after run().
  const float* output() const { return output_.data(); }
  std::size_t operators() const { return ops_.size(); }

  /// One inference: every operator in order. "" on success, else the failure.
  std::string run() const {
    for (const Operator& op : ops_) {
      const xnn_status status = xnn_run_operator(op.get(), pool_);
      if (status != xnn_status_success) return failure("xnn_run_operator", status);
    }
    return {};
  }

 private:
  static void require(const char* what, xnn_status status) {
    if (status != xnn_status_success) throw std::runtime_error(failure(what, status));
  }
  static int free_buffer(int a, int b) {
    for (int i = 0;; ++i)
      if (i != a && i != b) return i;
  }
  const float* buffer(int index) const { return index < 0 ? input_.data() : activations_[std::size_t(index)].data(); }
  float* buffer(int index) { return index < 0 ? input_.data() : activations_[std::size_t(index)].data(); }

  void add_convolution(const StateDict& dict, const mobilenet_v2::ConvLayer& layer, const float* in, float* out) {
    const FoldedConv folded = fold_batch_norm(dict, layer);
    constexpr float inf = std::numeric_limits<float>::infinity();
    const float low = layer.relu6 ? 0.0f : -inf, high = layer.relu6 ? 6.0f : inf;
    const auto pad = std::uint32_t(layer.padding()), k = std::uint32_t(layer.kernel), s = std::uint32_t(layer.stride);
    xnn_operator_t op = nullptr;
    require("xnn_create_convolution2d_nhwc_f32",
            xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, k, k, s, s, 1, 1, std::uint32_t(layer.groups),
                                              std::size_t(layer.in_channels / layer.groups),
                                              std::size_t(layer.out_channels / layer.groups),
                                              std::size_t(layer.in_channels), std::size_t(layer.out_channels),
                                              folded.kernel.data(), folded.bias.data(), low, high, 0, &op));
    ops_.emplace_back(op);
    require("xnn_setup_convolution2d_nhwc_f32",
            xnn_setup_convolution2d_nhwc_f32(op, 1, std::size_t(layer.in_size), std::size_t(layer.in_size), in, out,
                                             pool_));
  }

  void add_residual(const mobilenet_v2::ConvLayer& layer, const float* a, const float* b, float* sum) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    xnn_operator_t op = nullptr;
    require("xnn_create_add_nd_f32", xnn_create_add_nd_f32(-inf, inf, 0, &op));
    ops_.emplace_back(op);
    const std::size_t shape[4] = {1, std::size_t(layer.out_size()), std::size_t(layer.out_size()),
                                  std::size_t(layer.out_channels)};
    require("xnn_setup_add_nd_f32", xnn_setup_add_nd_f32(op, 4, shape, 4, shape, a, b, sum, pool_));
  }

  pthreadpool_t pool_;
  Buffer input_;
  std::vector<Buffer> activations_;
  Buffer pooled_;
  Buffer output_;
  std::vector<Operator> ops_;
};

}  // namespace joule::peers
