// InvertedResidual<Out, Expansion, Kernel, Stride, SE, Act>: MobileNetV2's inverted residual,
// the MBConv of MobileNetV3 and EfficientNet (Sandler et al., 2018; Howard et al., 2019;
// Tan and Le, 2019):
//   1x1 expand to hidden channels (left out when hidden == input channels), BN, Act
//   Kernel x Kernel depthwise, stride Stride, BN, Act
//   optional squeeze-and-excite
//   1x1 project to Out channels, BN, no activation
// plus the input, when Stride is 1 and Out equals the input channels.
//
// Expansion is a whole ratio (6) or ExpandTo{channels}. The layers sit under "block" and are
// indexed as torchvision's MobileNetV3 and EfficientNet number them ("block.0.0.weight" ...), or
// with BlockOptions{.names = BlockNames::mobilenet_v2} as torchvision's MobileNetV2 names them.
#pragma once

#include <string_view>
#include <type_traits>

#include "joule/blocks/block_options.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/text.hpp"
#include "joule/core/type_list.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/residual.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/layers/depthwise_conv.hpp"
#include "joule/layers/fused_inverted_residual.hpp"
#include "joule/layers/global_avg_pool.hpp"
#include "joule/layers/pointwise.hpp"
#include "joule/layers/squeeze_excite.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <int Out, auto Expansion, int Kernel, int Stride, class SE = NoSqueezeExcite,
          Activation Act = ReLU6, BlockOptions Options = BlockOptions{}>
struct InvertedResidual : LayerSpec {
  static_assert(Out >= 1, "joule::InvertedResidual: Out must be at least 1");

  template <ShapeType In>
  struct layers {
    static constexpr int hidden = expanded_channels(Expansion, In::channels);
    static_assert(hidden >= 1, "joule::InvertedResidual: the expansion gives no hidden channels");
    static constexpr bool has_expand = hidden != In::channels;
    static constexpr bool has_se = !std::is_same_v<SE, NoSqueezeExcite>;
    static constexpr bool has_residual = Stride == 1 && In::channels == Out;
    static constexpr ConvOptions conv = block_conv_options(Options);

    static constexpr bool v2_names = Options.names == BlockNames::mobilenet_v2;
    static_assert(!(v2_names && has_se), "joule::InvertedResidual: MobileNetV2 naming has no squeeze-excite");

    // MobileNetV2 keeps the projection's convolution and BatchNorm as siblings of the other layers.
    using project = Pointwise<Out, Identity, conv>;
    using named_project = std::conditional_t<
        v2_names,
        Named<"", std::conditional_t<has_expand, PartNames<project, "2", "3">, PartNames<project, "1", "2">>>,
        project>;
    using body = apply_t<Sequential, concat_t<optional_t<has_expand, Pointwise<hidden, Act, conv>>,
                                              TypeList<DepthwiseConv<Kernel, Stride, Act, conv>>,
                                              optional_t<has_se, typename SE::template in_block<In::channels>>,
                                              TypeList<named_project>>>;
    using named_body = std::conditional_t<v2_names, Named<"conv", body>, Named<"block", body>>;
    using unfused = std::conditional_t<has_residual, Residual<named_body>, Sequential<named_body>>;

    // Fused: without squeeze-excite the whole block is one layer (the residual added as the
    // projection stores); with it, expansion and depthwise are one layer, then squeeze-excite and
    // projection under their usual names. Nothing to fuse with squeeze-excite but no expansion.
    static constexpr FusedNames fused_names = v2_names ? FusedNames::mobilenet_v2 : FusedNames::indexed_block;
    using expand_spec = std::conditional_t<has_expand, Pointwise<hidden, Act, conv>, void>;
    using depthwise_spec = DepthwiseConv<Kernel, Stride, Act, conv>;
    using whole =
        FusedInvertedResidual<expand_spec, depthwise_spec, Pointwise<Out, Identity, conv>, has_residual, fused_names>;
    // (Named only accepts layer specs: without squeeze-excite, a stand-in keeps this unused type valid.)
    using se_spec = std::conditional_t<has_se, typename SE::template in_block<In::channels>, GlobalAvgPool>;
    using with_se = TypeList<Named<"", FusedInvertedResidual<expand_spec, depthwise_spec, void, false, fused_names>>,
                             Named<"block.2", se_spec>, Named<"block.3", Pointwise<Out, Identity, conv>>>;
    using fused = std::conditional_t<!has_se, whole,
                                     std::conditional_t<has_residual, apply_t<Residual, with_se>, apply_t<Sequential, with_se>>>;
    static constexpr bool fuses = Options.fused && (!has_se || has_expand);
    using composed = std::conditional_t<fuses, fused, unfused>;
  };

  template <ShapeType In, class P = Float32>
  struct bind : bind_t<typename layers<In>::composed, In, P> {
    static constexpr std::string_view kind = "InvertedResidual";
    static constexpr auto description = [] {
      Text<48> text;
      text.append("hidden ").append(layers<In>::hidden).append(" k").append(Kernel);
      text.append(" s").append(Stride);
      if (layers<In>::has_se) text.append(" SE");
      if (layers<In>::fuses) text.append(" fused");
      return text.append(' ').append(Act::name);
    }();
  };
};

/// MBConv is what EfficientNet calls the same block.
template <int Out, auto Expansion, int Kernel, int Stride, class SE = NoSqueezeExcite,
          Activation Act = ReLU6, BlockOptions Options = BlockOptions{}>
using MBConv = InvertedResidual<Out, Expansion, Kernel, Stride, SE, Act, Options>;

}  // namespace joule::inline JOULE_TARGET
