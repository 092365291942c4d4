// Options and helpers shared by the blocks.
#pragma once

#include "joule/layers/conv_options.hpp"

namespace joule {

struct BlockOptions {
  /// Epsilon of every BatchNorm in the block, as 10^bn_eps_log10 (see ConvOptions).
  int bn_eps_log10 = -5;
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

}  // namespace joule
