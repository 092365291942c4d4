// joule's whole models on 1 and 2 threads, beside the peers' model/<peer>/... rows:
//   model/joule/<model>/threads:N          fused inverted residuals (the default)
//   model/joule-unfused/mobilenet_v2/...   every layer on its own, for the fusion comparison
#include <benchmark/benchmark.h>

#include "joule/models.hpp"
#include "network_bench.hpp"

namespace joule::bench {
namespace {

// MobileNetV2 with every inverted residual unfused: the same network, layer by layer.
template <int Out, int Expand, int Stride>
using UnfusedV2Block = InvertedResidual<Out, Expand, 3, Stride, NoSqueezeExcite, ReLU6,
                                        BlockOptions{.names = BlockNames::mobilenet_v2, .fused = false}>;
using UnfusedMobileNetV2 = Network<
    Shape<224, 224, 3>,
    Named<"features",
          Sequential<Conv2d<32, 3, 2, ReLU6>, UnfusedV2Block<16, 1, 1>, UnfusedV2Block<24, 6, 2>, UnfusedV2Block<24, 6, 1>,
                     UnfusedV2Block<32, 6, 2>, UnfusedV2Block<32, 6, 1>, UnfusedV2Block<32, 6, 1>,
                     UnfusedV2Block<64, 6, 2>, UnfusedV2Block<64, 6, 1>, UnfusedV2Block<64, 6, 1>,
                     UnfusedV2Block<64, 6, 1>, UnfusedV2Block<96, 6, 1>, UnfusedV2Block<96, 6, 1>,
                     UnfusedV2Block<96, 6, 1>, UnfusedV2Block<160, 6, 2>, UnfusedV2Block<160, 6, 1>,
                     UnfusedV2Block<160, 6, 1>, UnfusedV2Block<320, 6, 1>, Pointwise<1280, ReLU6>>>,
    Named<"avgpool", GlobalAvgPool>, Named<"classifier.1", Linear<1000>>>;
static_assert(UnfusedMobileNetV2::cost.params == models::MobileNetV2<>::cost.params);
static_assert(UnfusedMobileNetV2::cost.macs == models::MobileNetV2<>::cost.macs);

template <class Net>
void register_model(const char* who, const char* model) {
  for (int threads : {1, 2}) {
    const std::string name = std::string("model/") + who + "/" + model + "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(name.c_str(), time_network<Net>, threads)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
}

const bool registered = [] {
  register_model<models::MobileNetV2<>>("joule", "mobilenet_v2");
  register_model<models::MobileNetV3<models::mobilenet_v3_large>>("joule", "mobilenet_v3_large");
  register_model<models::EfficientNet<models::efficientnet_b0>>("joule", "efficientnet_b0");
  register_model<UnfusedMobileNetV2>("joule-unfused", "mobilenet_v2");
  return true;
}();

}  // namespace
}  // namespace joule::bench
