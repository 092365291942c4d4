// DepthwiseConv<Kernel, Stride, Act, Options>: one Kernel x Kernel filter per channel (the
// spatial half of a depthwise-separable convolution). Kernel 3, 5 or 7; stride 1 or 2, as the
// MobileNet and EfficientNet families use and as the optimized kernels specialize.
#pragma once

#include "joule/core/layer.hpp"
#include "joule/layers/conv_layer.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <int Kernel, int Stride = 1, Activation Act = Identity, ConvOptions Options = ConvOptions{}>
struct DepthwiseConv : LayerSpec {
  static_assert(Kernel == 3 || Kernel == 5 || Kernel == 7,
                "joule::DepthwiseConv: the kernel size must be 3, 5 or 7");
  static_assert(Stride == 1 || Stride == 2, "joule::DepthwiseConv: the stride must be 1 or 2");
  static_assert(Options.groups == 1,
                "joule::DepthwiseConv: groups are implied (one per channel); leave groups at 1");
  static constexpr ConvKind conv_kind = ConvKind::depthwise;
  static constexpr std::string_view kind_name = "DepthwiseConv";
  static constexpr int out_channels = 0;
  static constexpr int kernel = Kernel;
  static constexpr int stride = Stride;
  static constexpr ConvOptions options = Options;
  using activation = Act;

  template <ShapeType In, class P = Float32>
  using bind = typename ConvFor<P>::template type<DepthwiseConv, In>;
};

}  // namespace joule::inline JOULE_TARGET
