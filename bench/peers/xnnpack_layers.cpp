// pointwise/xnnpack/... and depthwise/xnnpack/...: one XNNPACK convolution operator per layer
// shape of bench/shapes.hpp, on one thread (no thread pool). The operator is created (weights
// packed) and set up before the timed loop; each iteration is one xnn_run_operator.
//
// Output clamp: the fused activation the layer has in MobileNetV2, ReLU6 (min 0, max 6), for the
// mobilenet_v2 depthwise layers and the pointwise layers that widen (expansions and the last
// 320->1280); none (-inf, +inf, XNNPACK's linear path) for projections and for every MobileNetV3
// and EfficientNet shape, whose hardswish / SiLU XNNPACK cannot fuse. The label says which.
#include <benchmark/benchmark.h>

#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../bench_common.hpp"
#include "../shapes.hpp"
#include "xnnpack_support.hpp"

namespace {

using joule::peers::Buffer;
using joule::peers::failure;
using joule::peers::Operator;

struct Convolution {
  int height, width, in_channels, out_channels, kernel, stride, groups;
  bool relu6;
  int padding() const { return (kernel - 1) / 2; }
  int out_height() const { return (height + 2 * padding() - kernel) / stride + 1; }
  int out_width() const { return (width + 2 * padding() - kernel) / stride + 1; }
};

std::vector<float> random_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& v : values) v = value(engine);
  return values;
}

void run_convolution(benchmark::State& state, const Convolution& c, double macs) {
  const std::string init = joule::peers::initialize_xnnpack();
  if (!init.empty()) {
    state.SkipWithError(init.c_str());
    return;
  }
  const std::size_t in_floats = std::size_t(c.height) * c.width * c.in_channels;
  const std::size_t out_floats = std::size_t(c.out_height()) * c.out_width() * c.out_channels;
  const std::size_t weight_floats =
      std::size_t(c.out_channels) * (c.in_channels / c.groups) * c.kernel * c.kernel;
  Buffer input(in_floats), output(out_floats);
  const std::vector<float> values = random_values(in_floats, 1);
  std::memcpy(input.data(), values.data(), in_floats * sizeof(float));
  // Small weights keep the outputs O(1); the clamp bounds are what matter to the kernel chosen.
  std::vector<float> weights = random_values(weight_floats, 2);
  for (float& w : weights) w *= 0.1f;
  const std::vector<float> bias = random_values(std::size_t(c.out_channels), 3);

  constexpr float inf = std::numeric_limits<float>::infinity();
  const auto pad = std::uint32_t(c.padding()), k = std::uint32_t(c.kernel), s = std::uint32_t(c.stride);
  xnn_operator_t raw = nullptr;
  std::string error = failure(
      "xnn_create_convolution2d_nhwc_f32",
      xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, k, k, s, s, 1, 1, std::uint32_t(c.groups),
                                        std::size_t(c.in_channels / c.groups), std::size_t(c.out_channels / c.groups),
                                        std::size_t(c.in_channels), std::size_t(c.out_channels), weights.data(),
                                        bias.data(), c.relu6 ? 0.0f : -inf, c.relu6 ? 6.0f : inf, 0, &raw));
  const Operator op(raw);
  if (error.empty())
    error = failure("xnn_setup_convolution2d_nhwc_f32",
                    xnn_setup_convolution2d_nhwc_f32(op.get(), 1, std::size_t(c.height), std::size_t(c.width),
                                                     input.data(), output.data(), nullptr));
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }

  for (auto _ : state) {
    const xnn_status status = xnn_run_operator(op.get(), nullptr);
    if (status != xnn_status_success) {
      state.SkipWithError(failure("xnn_run_operator", status).c_str());
      break;
    }
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  joule::bench::set_counters(state, macs, 4.0 * double(in_floats + weight_floats + out_floats));
  state.SetLabel(c.relu6 ? "clamp relu6 (as in mobilenet_v2)" : "no clamp");
}

bool is_mobilenet_v2(const char* model) { return std::strcmp(model, "mobilenet_v2") == 0; }

const bool registered = [] {
  for (const auto& p : joule::bench::pointwise_shapes) {
    // In MobileNetV2 the widening 1x1 convolutions end in ReLU6, the narrowing ones are linear.
    const Convolution c{p.height, p.width, p.in_channels, p.out_channels, 1, 1, 1,
                        is_mobilenet_v2(p.model) && p.out_channels > p.in_channels};
    const double macs = double(p.height) * p.width * p.in_channels * p.out_channels;
    const std::string name = std::string("pointwise/xnnpack/") + p.model + "/" +
                             joule::bench::shape_name(p.height, p.width, p.in_channels) + "->" +
                             std::to_string(p.out_channels);
    benchmark::RegisterBenchmark(name.c_str(), [c, macs](benchmark::State& state) { run_convolution(state, c, macs); })
        ->Unit(benchmark::kMicrosecond);
  }
  for (const auto& d : joule::bench::depthwise_shapes) {
    const Convolution c{d.height, d.width, d.channels, d.channels, d.kernel, d.stride, d.channels,
                        is_mobilenet_v2(d.model)};
    const double macs = double(c.out_height()) * c.out_width() * d.channels * d.kernel * d.kernel;
    const std::string name = std::string("depthwise/xnnpack/") + d.model + "/" +
                             joule::bench::shape_name(d.height, d.width, d.channels) + "/k" +
                             std::to_string(d.kernel) + "s" + std::to_string(d.stride);
    benchmark::RegisterBenchmark(name.c_str(), [c, macs](benchmark::State& state) { run_convolution(state, c, macs); })
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
