// MobileNetV1 (Howard et al., 2017, Table 1): a 3x3 stride-2 convolution, thirteen depthwise-
// separable blocks, global pooling and a classifier. Width multiplier alpha scales every layer's
// channels (int(channels * alpha), as the reference implementations do); the resolution is
// free. BatchNorm and ReLU6 after every convolution, as in the TensorFlow reference.
//
// torchvision has no MobileNetV1; tools/joule_models.py defines the PyTorch twin whose
// state_dict names this type binds: features.0 (stem), features.1 .. features.13 (blocks),
// classifier.
//
//   models::MobileNetV1<>                                                   1.0, 224, 1000 classes
//   models::MobileNetV1<models::MobileNetV1Config{.alpha = {3, 4}, .resolution = 192}>
#pragma once

#include "joule/blocks/depthwise_separable.hpp"
#include "joule/core/type_list.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/network.hpp"
#include "joule/graph/sequential.hpp"
#include "joule/layers/conv2d.hpp"
#include "joule/layers/global_avg_pool.hpp"
#include "joule/layers/linear.hpp"
#include "joule/models/scaling.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::models {

struct MobileNetV1Config {
  Ratio alpha{1, 1};
  int resolution = 224;
  int classes = 1000;
};

namespace detail {

struct SeparableStep {
  int channels;
  int stride;
};
// Table 1 of the paper, after the stem: output channels and stride of each block.
inline constexpr SeparableStep mobilenet_v1_steps[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},
                                                       {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
                                                       {512, 1}, {1024, 2}, {1024, 1}};

constexpr int v1_channels(int channels, Ratio alpha) { return static_cast<int>(channels * alpha.value()); }

template <MobileNetV1Config C>
struct MobileNetV1Layers {
  template <std::size_t Index>
  using block = TypeList<DepthwiseSeparable<v1_channels(mobilenet_v1_steps[Index].channels, C.alpha), 3,
                                            mobilenet_v1_steps[Index].stride, ReLU6>>;
  using features = apply_t<Sequential, concat_t<TypeList<Conv2d<v1_channels(32, C.alpha), 3, 2, ReLU6>>,
                                                concat_made_t<13, block>>>;
};

}  // namespace detail

template <MobileNetV1Config C = MobileNetV1Config{}>
using MobileNetV1 = Network<Shape<C.resolution, C.resolution, 3>,
                            Named<"features", typename detail::MobileNetV1Layers<C>::features>,
                            Named<"avgpool", GlobalAvgPool>, Named<"classifier", Linear<C.classes>>>;

}  // namespace joule::inline JOULE_TARGET::models
