// MobileNetV2 (Sandler et al., 2018, Table 2) exactly as torchvision 0.14 builds it: channels
// scaled by the width multiplier and rounded to multiples of 8, the last convolution never
// narrower than 1280, tensors named as torchvision's state_dict names them.
//
//   models::MobileNetV2<>                                                  1.0, 224, 1000 classes
//   models::MobileNetV2<models::MobileNetV2Config{.width = {3, 4}, .resolution = 160}>
#pragma once

#include "joule/blocks/inverted_residual.hpp"
#include "joule/core/type_list.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/network.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/layers/conv2d.hpp"
#include "joule/layers/global_avg_pool.hpp"
#include "joule/layers/linear.hpp"
#include "joule/layers/pointwise.hpp"
#include "joule/models/scaling.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::models {

struct MobileNetV2Config {
  Ratio width{1, 1};
  int resolution = 224;
  int classes = 1000;
};

namespace detail {

struct MobileNetV2Stage {
  int expand;    // t
  int channels;  // c
  int repeats;   // n
  int stride;    // s
};
inline constexpr MobileNetV2Stage mobilenet_v2_stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                                  {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};

inline constexpr BlockOptions mobilenet_v2_block{.names = BlockNames::mobilenet_v2};

template <MobileNetV2Config C>
struct MobileNetV2Layers {
  template <std::size_t Index>
  static constexpr MobileNetV2Stage stage = mobilenet_v2_stages[Index];
  template <std::size_t Index>
  using block = InvertedResidual<scale_channels(stage<Index>.channels, C.width), stage<Index>.expand, 3, 1,
                                 NoSqueezeExcite, ReLU6, mobilenet_v2_block>;
  // A stage: its first block carries the stride, the others repeat with stride 1.
  template <std::size_t Index>
  using stage_blocks =
      concat_t<TypeList<InvertedResidual<scale_channels(stage<Index>.channels, C.width), stage<Index>.expand, 3,
                                         stage<Index>.stride, NoSqueezeExcite, ReLU6, mobilenet_v2_block>>,
               repeat_t<stage<Index>.repeats - 1, block<Index>>>;

  static constexpr int last_channels = make_divisible(1280 * (C.width.value() > 1.0 ? C.width.value() : 1.0), 8);
  using features = apply_t<Sequential, concat_t<TypeList<Conv2d<scale_channels(32, C.width), 3, 2, ReLU6>>,
                                                concat_made_t<7, stage_blocks>,
                                                TypeList<Pointwise<last_channels, ReLU6>>>>;
};

}  // namespace detail

template <MobileNetV2Config C = MobileNetV2Config{}>
using MobileNetV2 = Network<Shape<C.resolution, C.resolution, 3>,
                            Named<"features", typename detail::MobileNetV2Layers<C>::features>,
                            Named<"avgpool", GlobalAvgPool>, Named<"classifier.1", Linear<C.classes>>>;

}  // namespace joule::inline JOULE_TARGET::models
