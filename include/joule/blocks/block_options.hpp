// Options and helpers shared by the blocks.
#pragma once

#include "joule/layers/conv_options.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// How a block names its layers, for binding PyTorch weights.
enum class BlockNames : unsigned char {
  /// Under "block", indexed: torchvision's MobileNetV3 and EfficientNet ("block.0.0.weight").
  indexed_block,
  /// Under "conv", the projection's convolution and BatchNorm as siblings: torchvision's
  /// MobileNetV2 ("conv.2.weight", "conv.3.running_mean").
  mobilenet_v2,
};

struct BlockOptions {
  /// Epsilon of every BatchNorm in the block, as 10^bn_eps_log10 (see ConvOptions).
  int bn_eps_log10 = -5;
  BlockNames names = BlockNames::indexed_block;
  /// Run an inverted residual's expansion, depthwise convolution and projection as one fused
  /// layer, row by row (layers/fused_inverted_residual.hpp). With squeeze-excite, which needs the
  /// whole depthwise output before projecting, the expansion and depthwise convolution are fused
  /// and the rest runs as usual. false: every layer on its own, tensors in the arena.
  bool fused = true;
};

/// Explicit hidden (expanded) channels for a block, where the expansion is not a whole ratio
/// of the input channels (MobileNetV3: 80 -> 184).
struct ExpandTo {
  int channels;
};

constexpr int expanded_channels(int ratio, int in_channels) { return ratio * in_channels; }
constexpr int expanded_channels(ExpandTo expand, int /*in_channels*/) { return expand.channels; }

constexpr ConvOptions block_conv_options(BlockOptions options) {
  return ConvOptions{.bn_eps_log10 = options.bn_eps_log10};
}

}  // namespace joule::inline JOULE_TARGET
