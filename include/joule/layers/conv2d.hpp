// Conv2d<OutChannels, Kernel, Stride, Act, Options>: a standard 2-D convolution with a square
// kernel, torchvision-style padding by default, optional groups, BatchNorm folded in by default.
#pragma once

#include "joule/core/layer.hpp"
#include "joule/layers/conv_layer.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <int OutChannels, int Kernel, int Stride = 1, Activation Act = Identity,
          ConvOptions Options = ConvOptions{}>
struct Conv2d : LayerSpec {
  static_assert(OutChannels >= 1, "joule::Conv2d: OutChannels must be at least 1");
  static constexpr ConvKind conv_kind = ConvKind::general;
  static constexpr std::string_view kind_name = "Conv2d";
  static constexpr int out_channels = OutChannels;
  static constexpr int kernel = Kernel;
  static constexpr int stride = Stride;
  static constexpr ConvOptions options = Options;
  using activation = Act;

  template <ShapeType In, class P = Float32>
  using bind = typename ConvFor<P>::template type<Conv2d, In>;
};

}  // namespace joule::inline JOULE_TARGET
