// Pointwise<OutChannels, Act, Options>: a 1x1 convolution mixing channels (the expansion and
// projection layers of inverted residuals). For a grouped 1x1, use Conv2d<Out, 1, 1, ...>.
#pragma once

#include "joule/core/layer.hpp"
#include "joule/layers/conv_layer.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <int OutChannels, Activation Act = Identity, ConvOptions Options = ConvOptions{}>
struct Pointwise : LayerSpec {
  static_assert(OutChannels >= 1, "joule::Pointwise: OutChannels must be at least 1");
  static_assert(Options.groups == 1,
                "joule::Pointwise: groups must be 1; a grouped 1x1 is Conv2d<Out, 1, 1, Act, "
                "ConvOptions{.groups = g}>");
  static_assert(Options.padding <= 0 && Options.dilation == 1,
                "joule::Pointwise: a 1x1 convolution takes no padding or dilation");
  static constexpr ConvKind conv_kind = ConvKind::pointwise;
  static constexpr std::string_view kind_name = "Pointwise";
  static constexpr int out_channels = OutChannels;
  static constexpr int kernel = 1;
  static constexpr int stride = 1;
  static constexpr ConvOptions options = Options;
  using activation = Act;

  template <ShapeType In, class P = Float32>
  using bind = typename ConvFor<P>::template type<Pointwise, In>;
};

}  // namespace joule::inline JOULE_TARGET
