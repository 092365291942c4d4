// joule's kernels on the real layer shapes of MobileNetV2, MobileNetV3-Large and EfficientNet-B0
// (bench/shapes.hpp), as the layers call them (the kernel record the layer would choose, one
// thread), next to the reference kernels for the MobileNetV2 shapes. Names:
// pointwise/joule/<model>/<shape>, depthwise/joule/<model>/<shape>/k<K>s<S>,
// pointwise/reference/..., depthwise/reference/...; the int8 pointwise kernels on the MobileNetV2
// shapes and the int8 depthwise kernels on every model's (the reference on MobileNetV2's) as
// pointwise_i8/joule/..., pointwise_i8/reference/..., depthwise_i8/..., in GOP/s.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "joule/kernels/depthwise/dispatch.hpp"
#include "joule/kernels/depthwise/int8_dispatch.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/pointwise/dispatch.hpp"
#include "joule/kernels/pointwise/int8_dispatch.hpp"
#include "shapes.hpp"

namespace joule::bench {
namespace {

kernels::ConvGeometry depthwise_geometry(const DepthwiseShape& s) {
  kernels::ConvGeometry g;
  g.in_height = s.height;
  g.in_width = s.width;
  g.in_channels = g.out_channels = g.groups = s.channels;
  g.kernel_height = g.kernel_width = s.kernel;
  g.stride_height = g.stride_width = s.stride;
  g.pad_top = g.pad_left = (s.kernel - 1) / 2;
  g.out_height = kernels::conv_output_size(s.height, s.kernel, s.stride, g.pad_top, 1);
  g.out_width = kernels::conv_output_size(s.width, s.kernel, s.stride, g.pad_left, 1);
  return g;
}

// Each benchmark runs one kernel record (kernels/kernel_record.hpp): the one the layers choose for
// the shape ("joule") or the reference; its name is the label.
void pointwise(benchmark::State& state, PointwiseShape s, kernels::KernelRecord record) {
  const std::size_t pixels = static_cast<std::size_t>(s.height) * s.width;
  const auto in = random_values(pixels * s.in_channels, 1);
  // Weights and bias in the packed layout the kernels read (padding included).
  const auto w = random_values(kernels::gemm::packed_size(s.in_channels, s.out_channels), 2);
  const auto bias = random_values(kernels::gemm::padded_cols(s.out_channels), 3);
  std::vector<float> out(pixels * s.out_channels);
  kernels::with_record<kernels::pointwise::records>(record, [&]<kernels::KernelRecord K>() {
    for (auto _ : state) {
      kernels::pointwise::run<K, ReLU6>(0, pixels, s.in_channels, s.out_channels, in.data(),
                                        w.data(), bias.data(), nullptr, out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  });
  set_counters(state, double(pixels) * s.in_channels * s.out_channels,
               4.0 * double(in.size() + std::size_t(s.in_channels) * s.out_channels + out.size()));
  state.SetLabel(std::string(record.name().view()));
}

std::vector<std::int8_t> random_int8(std::size_t count, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> value(-128, 127);
  std::vector<std::int8_t> values(count);
  for (std::int8_t& v : values) v = static_cast<std::int8_t>(value(engine));
  return values;
}

// The int8 pointwise kernel as QuantizedConv calls it: every output channel, a bias, a ReLU6
// clamp, multipliers that keep most outputs inside the clamp.
void pointwise_int8(benchmark::State& state, PointwiseShape s, kernels::KernelRecord record) {
  const std::size_t pixels = static_cast<std::size_t>(s.height) * s.width;
  const auto in = random_int8(pixels * s.in_channels, 1);
  const auto w = random_int8(kernels::gemm::packed_size(s.in_channels, s.out_channels), 2);
  std::vector<std::int32_t> bias(kernels::gemm::padded_cols(s.out_channels));
  std::vector<float> multiplier(bias.size());
  std::mt19937 engine(3);
  for (std::int32_t& b : bias) b = std::uniform_int_distribution<int>(-5000, 5000)(engine);
  for (float& m : multiplier) m = std::uniform_real_distribution<float>(1e-4f, 1e-3f)(engine);
  kernels::Int8Output stage;
  stage.bias = bias.data();
  stage.multiplier = multiplier.data();
  stage.zero_point = -128;
  stage.high = 100;
  std::vector<std::int8_t> out(pixels * s.out_channels);
  kernels::with_record<kernels::pointwise::int8_records>(record, [&]<kernels::KernelRecord K>() {
    for (auto _ : state) {
      kernels::pointwise::run_int8<K>(0, pixels, 0, s.out_channels, s.in_channels, s.out_channels,
                                      in.data(), 3, w.data(), stage, out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  });
  set_int8_counters(state, double(pixels) * s.in_channels * s.out_channels,
                    double(in.size() + std::size_t(s.in_channels) * s.out_channels + out.size()));
  state.SetLabel(std::string(record.name().view()));
}

void depthwise(benchmark::State& state, DepthwiseShape s, kernels::KernelRecord record) {
  const kernels::ConvGeometry g = depthwise_geometry(s);
  const auto in = random_values(static_cast<std::size_t>(s.height) * s.width * s.channels, 1);
  const auto w = random_values(static_cast<std::size_t>(s.kernel) * s.kernel * s.channels, 2);
  const auto bias = random_values(s.channels, 3);
  std::vector<float> out(static_cast<std::size_t>(g.out_height) * g.out_width * s.channels);
  kernels::with_record<kernels::depthwise::records>(record, [&]<kernels::KernelRecord K>() {
    for (auto _ : state) {
      kernels::depthwise::run<K, ReLU6>(g, 0, g.out_height, in.data(), w.data(), bias.data(),
                                        out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  });
  set_counters(state, double(out.size()) * s.kernel * s.kernel, 4.0 * double(in.size() + w.size() + out.size()));
  state.SetLabel(std::string(record.name().view()));
}

// The int8 depthwise kernel as QuantizedConv calls it, with the output stage of pointwise_int8.
void depthwise_int8(benchmark::State& state, DepthwiseShape s, kernels::KernelRecord record) {
  const kernels::ConvGeometry g = depthwise_geometry(s);
  const auto in = random_int8(static_cast<std::size_t>(s.height) * s.width * s.channels, 1);
  const auto w = random_int8(static_cast<std::size_t>(s.kernel) * s.kernel * s.channels, 2);
  std::vector<std::int32_t> bias(s.channels);
  std::vector<float> multiplier(bias.size());
  std::mt19937 engine(3);
  for (std::int32_t& b : bias) b = std::uniform_int_distribution<int>(-5000, 5000)(engine);
  for (float& m : multiplier) m = std::uniform_real_distribution<float>(1e-3f, 1e-2f)(engine);
  kernels::Int8Output stage;
  stage.bias = bias.data();
  stage.multiplier = multiplier.data();
  stage.zero_point = -128;
  stage.high = 100;
  std::vector<std::int8_t> out(static_cast<std::size_t>(g.out_height) * g.out_width * s.channels);
  kernels::with_record<kernels::depthwise::int8_records>(record, [&]<kernels::KernelRecord K>() {
    for (auto _ : state) {
      kernels::depthwise::run_int8<K>(g, in.data(), 3, w.data(), stage, out.data(), 0,
                                      g.out_height);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  });
  set_int8_counters(state, double(out.size()) * s.kernel * s.kernel,
                    double(in.size() + w.size() + out.size()));
  state.SetLabel(std::string(record.name().view()));
}

std::string pointwise_name(const PointwiseShape& s) {
  return std::string(s.model) + "/" + shape_name(s.height, s.width, s.in_channels) + "->" +
         std::to_string(s.out_channels);
}
std::string depthwise_name(const DepthwiseShape& s) {
  return std::string(s.model) + "/" + shape_name(s.height, s.width, s.channels) + "/k" + std::to_string(s.kernel) +
         "s" + std::to_string(s.stride);
}

const bool registered = [] {
  for (const PointwiseShape& s : pointwise_shapes) {
    benchmark::RegisterBenchmark(("pointwise/joule/" + pointwise_name(s)).c_str(), pointwise, s,
                                 kernels::pointwise::choose())
        ->Unit(benchmark::kMicrosecond);
    if (std::string(s.model) == "mobilenet_v2")
      benchmark::RegisterBenchmark(("pointwise/reference/" + pointwise_name(s)).c_str(), pointwise,
                                   s, kernels::pointwise::reference_kernel)
          ->Unit(benchmark::kMicrosecond);
  }
  for (const PointwiseShape& s : pointwise_shapes) {
    if (std::string(s.model) != "mobilenet_v2") continue;
    benchmark::RegisterBenchmark(("pointwise_i8/joule/" + pointwise_name(s)).c_str(),
                                 pointwise_int8, s, kernels::pointwise::choose_int8())
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("pointwise_i8/reference/" + pointwise_name(s)).c_str(),
                                 pointwise_int8, s, kernels::pointwise::int8_reference_kernel)
        ->Unit(benchmark::kMicrosecond);
  }
  // Every model's depthwise shapes: MobileNetV3-Large's channel counts (72, 120, 184, 200) are
  // not multiples of 16 and take the int8 kernel's 8-channel block.
  for (const DepthwiseShape& s : depthwise_shapes) {
    benchmark::RegisterBenchmark(("depthwise_i8/joule/" + depthwise_name(s)).c_str(),
                                 depthwise_int8, s, kernels::depthwise::choose_int8())
        ->Unit(benchmark::kMicrosecond);
    if (std::string(s.model) == "mobilenet_v2")
      benchmark::RegisterBenchmark(("depthwise_i8/reference/" + depthwise_name(s)).c_str(),
                                   depthwise_int8, s, kernels::depthwise::int8_reference_kernel)
          ->Unit(benchmark::kMicrosecond);
  }
  for (const DepthwiseShape& s : depthwise_shapes) {
    benchmark::RegisterBenchmark(("depthwise/joule/" + depthwise_name(s)).c_str(), depthwise, s,
                                 kernels::depthwise::choose(depthwise_geometry(s)))
        ->Unit(benchmark::kMicrosecond);
    if (std::string(s.model) == "mobilenet_v2")
      benchmark::RegisterBenchmark(("depthwise/reference/" + depthwise_name(s)).c_str(), depthwise,
                                   s, kernels::depthwise::reference_kernel)
          ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
}  // namespace joule::bench
