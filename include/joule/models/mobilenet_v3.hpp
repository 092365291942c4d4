// MobileNetV3 Large and Small (Howard et al., 2019, Tables 1 and 2) exactly as torchvision 0.14
// builds them: hard-swish stem, inverted residuals with explicit expanded channels, squeeze-excite
// squeezed to make_divisible(expanded / 4, 8) with a hard-sigmoid gate, BatchNorm eps 1e-3, and a
// two-layer classifier (classifier.0, hard-swish, dropout, classifier.3).
//
//   models::MobileNetV3<models::mobilenet_v3_large>
//   models::MobileNetV3<models::mobilenet_v3_small>
#pragma once

#include <type_traits>

#include "joule/blocks/inverted_residual.hpp"
#include "joule/core/type_list.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/network.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/layers/conv2d.hpp"
#include "joule/layers/global_avg_pool.hpp"
#include "joule/layers/linear.hpp"
#include "joule/layers/pointwise.hpp"
#include "joule/layers/squeeze_excite.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::models {

/// One bottleneck row of the paper's tables (and of torchvision's InvertedResidualConfig).
struct V3Bottleneck {
  int kernel;
  int expanded;
  int out;
  bool squeeze_excite;
  bool hard_swish;  // else ReLU
  int stride;
};

struct MobileNetV3Config {
  V3Bottleneck blocks[15]{};
  int block_count = 0;
  int last_channels = 0;  // width of the classifier's hidden layer
  int resolution = 224;
  int classes = 1000;
};

inline constexpr MobileNetV3Config mobilenet_v3_large{
    .blocks = {{3, 16, 16, false, false, 1},
               {3, 64, 24, false, false, 2},
               {3, 72, 24, false, false, 1},
               {5, 72, 40, true, false, 2},
               {5, 120, 40, true, false, 1},
               {5, 120, 40, true, false, 1},
               {3, 240, 80, false, true, 2},
               {3, 200, 80, false, true, 1},
               {3, 184, 80, false, true, 1},
               {3, 184, 80, false, true, 1},
               {3, 480, 112, true, true, 1},
               {3, 672, 112, true, true, 1},
               {5, 672, 160, true, true, 2},
               {5, 960, 160, true, true, 1},
               {5, 960, 160, true, true, 1}},
    .block_count = 15,
    .last_channels = 1280,
};

inline constexpr MobileNetV3Config mobilenet_v3_small{
    .blocks = {{3, 16, 16, true, false, 2},
               {3, 72, 24, false, false, 2},
               {3, 88, 24, false, false, 1},
               {5, 96, 40, true, true, 2},
               {5, 240, 40, true, true, 1},
               {5, 240, 40, true, true, 1},
               {5, 120, 48, true, true, 1},
               {5, 144, 48, true, true, 1},
               {5, 288, 96, true, true, 2},
               {5, 576, 96, true, true, 1},
               {5, 576, 96, true, true, 1}},
    .block_count = 11,
    .last_channels = 1024,
};

namespace detail {

inline constexpr int v3_bn_eps_log10 = -3;
inline constexpr ConvOptions v3_conv{.bn_eps_log10 = v3_bn_eps_log10};
using V3SqueezeExcite = SqueezeExcite<SqueezeSpec{.divisor = 4, .round_to = 8}, ReLU, HardSigmoid>;

template <MobileNetV3Config C>
struct MobileNetV3Layers {
  template <std::size_t Index>
  static constexpr V3Bottleneck row = C.blocks[Index];
  template <std::size_t Index>
  using block = TypeList<InvertedResidual<row<Index>.out, ExpandTo{row<Index>.expanded}, row<Index>.kernel,
                                          row<Index>.stride,
                                          std::conditional_t<row<Index>.squeeze_excite, V3SqueezeExcite, NoSqueezeExcite>,
                                          std::conditional_t<row<Index>.hard_swish, HardSwish, ReLU>,
                                          BlockOptions{.bn_eps_log10 = v3_bn_eps_log10}>>;
  static constexpr int last_block_out = C.blocks[C.block_count - 1].out;
  using features = apply_t<Sequential, concat_t<TypeList<Conv2d<16, 3, 2, HardSwish, v3_conv>>,
                                                concat_made_t<C.block_count, block>,
                                                TypeList<Pointwise<6 * last_block_out, HardSwish, v3_conv>>>>;
};

}  // namespace detail

template <MobileNetV3Config C>
using MobileNetV3 = Network<Shape<C.resolution, C.resolution, 3>,
                            Named<"features", typename detail::MobileNetV3Layers<C>::features>,
                            Named<"avgpool", GlobalAvgPool>,
                            Named<"classifier.0", Linear<C.last_channels, HardSwish>>,
                            Named<"classifier.3", Linear<C.classes>>>;

}  // namespace joule::inline JOULE_TARGET::models
