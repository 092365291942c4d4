// Layer variants at equal input and output shape, one thread: what each building block costs in
// latency, parameters, MACs, bytes moved and arena for the same job. Two shapes: MobileNetV2's
// 56x56x24 stage and its 14x14x96 stage.
//   variant/joule/<variant>/<shape>
#include <benchmark/benchmark.h>

#include <string>

#include "joule/joule.hpp"
#include "network_bench.hpp"

namespace joule::bench {
namespace {

constexpr BlockOptions unfused{.fused = false};

template <int H, int W, int C>
struct Variants {
  using In = Shape<H, W, C>;
  using Standard = Network<In, Conv2d<C, 3, 1, ReLU6>>;
  using Separable = Network<In, DepthwiseSeparable<C, 3, 1, ReLU6>>;
  using MBConv3 = Network<In, InvertedResidual<C, 3, 3, 1>>;
  using MBConv6 = Network<In, InvertedResidual<C, 6, 3, 1>>;
  using MBConv6Unfused = Network<In, InvertedResidual<C, 6, 3, 1, NoSqueezeExcite, ReLU6, unfused>>;
  using MBConv6SE = Network<In, InvertedResidual<C, 6, 3, 1, SqueezeExcite<4>>>;
  using FusedMBConv4 = Network<In, FusedMBConv<C, 4, 3, 1, ReLU6>>;

  static void register_all() {
    const std::string shape = shape_name(H, W, C);
    const auto add = [&]<class Net>(const char* variant) {
      benchmark::RegisterBenchmark(("variant/joule/" + std::string(variant) + "/" + shape).c_str(), time_network<Net>, 1)
          ->Unit(benchmark::kMicrosecond);
    };
    add.template operator()<Standard>("conv3x3");
    add.template operator()<Separable>("depthwise_separable");
    add.template operator()<MBConv3>("mbconv_e3");
    add.template operator()<MBConv6>("mbconv_e6");
    add.template operator()<MBConv6Unfused>("mbconv_e6_unfused");
    add.template operator()<MBConv6SE>("mbconv_e6_se");
    add.template operator()<FusedMBConv4>("fused_mbconv_e4");
  }
};

const bool registered = [] {
  Variants<56, 56, 24>::register_all();
  Variants<14, 14, 96>::register_all();
  return true;
}();

}  // namespace
}  // namespace joule::bench
