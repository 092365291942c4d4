// FusedMBConv<Out, Expansion, Kernel, Stride, Act>: EfficientNetV2's block (Tan and Le, 2021),
// as torchvision builds it: the expansion and the depthwise convolution of an MBConv fused into
// one Kernel x Kernel convolution to hidden channels (BN, Act), then a 1x1 projection (BN). With
// Expansion 1 it is the single convolution to Out channels (BN, Act). Residual when Stride is 1
// and Out equals the input channels. Layers are under "block", as in torchvision.
#pragma once

#include <string_view>
#include <type_traits>

#include "joule/blocks/block_options.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/residual.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/layers/conv2d.hpp"
#include "joule/layers/pointwise.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <int Out, auto Expansion, int Kernel, int Stride, Activation Act = SiLU,
          BlockOptions Options = BlockOptions{}>
struct FusedMBConv : LayerSpec {
  static_assert(Out >= 1, "joule::FusedMBConv: Out must be at least 1");

  template <ShapeType In>
  struct layers {
    static constexpr int hidden = expanded_channels(Expansion, In::channels);
    static_assert(hidden >= 1, "joule::FusedMBConv: the expansion gives no hidden channels");
    static constexpr bool has_expand = hidden != In::channels;
    static constexpr bool has_residual = Stride == 1 && In::channels == Out;
    static constexpr ConvOptions conv = block_conv_options(Options);

    using body = std::conditional_t<
        has_expand, Sequential<Conv2d<hidden, Kernel, Stride, Act, conv>, Pointwise<Out, Identity, conv>>,
        Sequential<Conv2d<Out, Kernel, Stride, Act, conv>>>;
    using composed =
        std::conditional_t<has_residual, Residual<Named<"block", body>>, Sequential<Named<"block", body>>>;
  };

  template <ShapeType In, class P = Float32>
  struct bind : bind_t<typename layers<In>::composed, In, P> {
    static constexpr std::string_view kind = "FusedMBConv";
    static constexpr auto description = [] {
      Text<48> text;
      text.append("hidden ").append(layers<In>::hidden).append(" k").append(Kernel);
      return text.append(" s").append(Stride).append(' ').append(Act::name);
    }();
  };
};

}  // namespace joule::inline JOULE_TARGET
