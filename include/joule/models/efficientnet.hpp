// EfficientNet B0 to B7 (Tan and Le, 2019) and EfficientNetV2-S (Tan and Le, 2021) exactly as
// torchvision 0.14 builds them, and EfficientNets scaled from any (phi, alpha, beta, gamma) by the
// paper's compound scaling, with the reference's channel and repeat rounding.
//
//   models::EfficientNet<models::efficientnet_b3>
//   models::EfficientNet<models::compound_scaling(2)>          // phi = 2, the paper's alpha, beta, gamma
//   models::EfficientNetV2<models::efficientnet_v2_s>
#pragma once

#include "joule/blocks/fused_mbconv.hpp"
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
#include "joule/models/scaling.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::models {

struct EfficientNetConfig {
  Ratio width{1, 1};
  Ratio depth{1, 1};
  int resolution = 224;
  /// torchvision builds B0-B4 with PyTorch's default BatchNorm eps (1e-5), B5-B7 with 1e-3.
  int bn_eps_log10 = -5;
  int classes = 1000;
};

// Width and depth multipliers from torchvision's builders; resolutions from the paper.
inline constexpr EfficientNetConfig efficientnet_b0{{1, 1}, {1, 1}, 224, -5};
inline constexpr EfficientNetConfig efficientnet_b1{{1, 1}, {11, 10}, 240, -5};
inline constexpr EfficientNetConfig efficientnet_b2{{11, 10}, {12, 10}, 260, -5};
inline constexpr EfficientNetConfig efficientnet_b3{{12, 10}, {14, 10}, 300, -5};
inline constexpr EfficientNetConfig efficientnet_b4{{14, 10}, {18, 10}, 380, -5};
inline constexpr EfficientNetConfig efficientnet_b5{{16, 10}, {22, 10}, 456, -3};
inline constexpr EfficientNetConfig efficientnet_b6{{18, 10}, {26, 10}, 528, -3};
inline constexpr EfficientNetConfig efficientnet_b7{{2, 1}, {31, 10}, 600, -3};

/// Compound scaling (section 3.3 of the paper): depth alpha^phi, width beta^phi, resolution
/// 224 gamma^phi rounded to the nearest pixel; alpha = 1.2, beta = 1.1, gamma = 1.15 found by the
/// paper's grid search. The multipliers are kept to a millionth.
constexpr EfficientNetConfig compound_scaling(int phi, Ratio alpha = {12, 10}, Ratio beta = {11, 10},
                                              Ratio gamma = {115, 100}, int classes = 1000) {
  return EfficientNetConfig{
      .width = to_millionths(power(beta.value(), phi)),
      .depth = to_millionths(power(alpha.value(), phi)),
      .resolution = static_cast<int>(224.0 * power(gamma.value(), phi) + 0.5),
      .bn_eps_log10 = -5,
      .classes = classes,
  };
}

namespace detail {

struct MBConvStage {
  int expand;
  int kernel;
  int stride;
  int in;
  int out;
  int repeats;
};
// EfficientNet-B0, Table 1 of the paper (as torchvision's bneck_conf rows).
inline constexpr MBConvStage efficientnet_stages[] = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},
                                                      {6, 5, 2, 24, 40, 2},  {6, 3, 2, 40, 80, 3},
                                                      {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4},
                                                      {6, 3, 1, 192, 320, 1}};

using EfficientNetSqueezeExcite = SqueezeExcite<SqueezeSpec{.divisor = 4, .of_block_input = true}, SiLU, Sigmoid>;

template <int Out, int Expand, int Kernel, int Stride, int EpsLog10>
using EfficientNetBlock =
    MBConv<Out, Expand, Kernel, Stride, EfficientNetSqueezeExcite, SiLU, BlockOptions{.bn_eps_log10 = EpsLog10}>;

template <EfficientNetConfig C>
struct EfficientNetLayers {
  static constexpr ConvOptions conv{.bn_eps_log10 = C.bn_eps_log10};
  template <std::size_t Index>
  static constexpr MBConvStage stage = efficientnet_stages[Index];
  template <std::size_t Index>
  static constexpr int out = scale_channels(stage<Index>.out, C.width);
  // Each stage is an nn.Sequential of its blocks: features.1 ... features.7.
  template <std::size_t Index>
  using stage_sequence = TypeList<apply_t<
      Sequential,
      concat_t<TypeList<EfficientNetBlock<out<Index>, stage<Index>.expand, stage<Index>.kernel, stage<Index>.stride,
                                          C.bn_eps_log10>>,
               repeat_t<scale_depth(stage<Index>.repeats, C.depth) - 1,
                        EfficientNetBlock<out<Index>, stage<Index>.expand, stage<Index>.kernel, 1, C.bn_eps_log10>>>>>;
  using features =
      apply_t<Sequential, concat_t<TypeList<Conv2d<scale_channels(32, C.width), 3, 2, SiLU, conv>>,
                                   concat_made_t<7, stage_sequence>, TypeList<Pointwise<4 * out<6>, SiLU, conv>>>>;
};

}  // namespace detail

template <EfficientNetConfig C>
using EfficientNet = Network<Shape<C.resolution, C.resolution, 3>,
                             Named<"features", typename detail::EfficientNetLayers<C>::features>,
                             Named<"avgpool", GlobalAvgPool>, Named<"classifier.1", Linear<C.classes>>>;

// ---- EfficientNetV2 ----

struct EfficientNetV2Config {
  int resolution = 384;
  int classes = 1000;
};
inline constexpr EfficientNetV2Config efficientnet_v2_s{};

namespace detail {

// EfficientNetV2-S, Table 4 of the V2 paper (torchvision's rows): Fused-MBConv stages, then MBConv.
struct EfficientNetV2Stage {
  bool fused;
  int expand;
  int kernel;
  int stride;
  int out;
  int repeats;
};
inline constexpr EfficientNetV2Stage efficientnet_v2_s_stages[] = {{true, 1, 3, 1, 24, 2},   {true, 4, 3, 2, 48, 4},
                                                       {true, 4, 3, 2, 64, 4},   {false, 4, 3, 2, 128, 6},
                                                       {false, 6, 3, 1, 160, 9}, {false, 6, 3, 2, 256, 15}};
inline constexpr int efficientnet_v2_eps_log10 = -3;

// Indexed rather than taking the row as a template argument: GCC 12 crashes on a class-type
// template argument read from a member variable template.
template <std::size_t Index, int Stride>
using EfficientNetV2Block = std::conditional_t<
    efficientnet_v2_s_stages[Index].fused,
    FusedMBConv<efficientnet_v2_s_stages[Index].out, efficientnet_v2_s_stages[Index].expand,
                efficientnet_v2_s_stages[Index].kernel, Stride, SiLU, BlockOptions{.bn_eps_log10 = efficientnet_v2_eps_log10}>,
    EfficientNetBlock<efficientnet_v2_s_stages[Index].out, efficientnet_v2_s_stages[Index].expand,
                      efficientnet_v2_s_stages[Index].kernel, Stride, efficientnet_v2_eps_log10>>;

template <EfficientNetV2Config C>
struct EfficientNetV2Layers {
  static constexpr ConvOptions conv{.bn_eps_log10 = efficientnet_v2_eps_log10};
  template <std::size_t Index>
  using stage_sequence = TypeList<
      apply_t<Sequential, concat_t<TypeList<EfficientNetV2Block<Index, efficientnet_v2_s_stages[Index].stride>>,
                                   repeat_t<efficientnet_v2_s_stages[Index].repeats - 1, EfficientNetV2Block<Index, 1>>>>>;
  using features = apply_t<Sequential, concat_t<TypeList<Conv2d<24, 3, 2, SiLU, conv>>, concat_made_t<6, stage_sequence>,
                                                TypeList<Pointwise<1280, SiLU, conv>>>>;
};

}  // namespace detail

template <EfficientNetV2Config C>
using EfficientNetV2 = Network<Shape<C.resolution, C.resolution, 3>,
                               Named<"features", typename detail::EfficientNetV2Layers<C>::features>,
                               Named<"avgpool", GlobalAvgPool>, Named<"classifier.1", Linear<C.classes>>>;

}  // namespace joule::inline JOULE_TARGET::models
