// DepthwiseSeparable<Out, Kernel, Stride, Act>: MobileNetV1's block (Howard et al., 2017): a
// depthwise convolution (BN, Act) then a 1x1 convolution to Out channels (BN, Act). Its two
// layers are indexed "0" and "1" under the block's path.
#pragma once

#include <string_view>

#include "joule/blocks/block_options.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/layers/depthwise_conv.hpp"
#include "joule/layers/pointwise.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <int Out, int Kernel = 3, int Stride = 1, Activation Act = ReLU,
          BlockOptions Options = BlockOptions{}>
struct DepthwiseSeparable : LayerSpec {
  static_assert(Out >= 1, "joule::DepthwiseSeparable: Out must be at least 1");
  static constexpr ConvOptions conv = block_conv_options(Options);
  using composed =
      Sequential<DepthwiseConv<Kernel, Stride, Act, conv>, Pointwise<Out, Act, conv>>;

  template <ShapeType In, class P = Float32>
  struct bind : bind_t<composed, In, P> {
    static constexpr std::string_view kind = "DepthwiseSeparable";
    static constexpr auto description = [] {
      Text<48> text;
      text.append('k').append(Kernel).append(" s").append(Stride);
      return text.append(' ').append(Act::name);
    }();
  };
};

}  // namespace joule::inline JOULE_TARGET
