// Reference kernels on real layer shapes of MobileNetV2 (224x224 input), with MACs, GFLOP/s
// and bytes as counters. These are the oracle's speeds: the baseline optimized kernels are
// measured against.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "joule/kernels/conv/reference.hpp"
#include "joule/kernels/depthwise/reference.hpp"
#include "joule/kernels/pointwise/reference.hpp"

namespace {

void set_counters(benchmark::State& state, double macs, double bytes) {
  state.counters["MACs"] = macs;
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = bytes;
}

joule::kernels::ConvGeometry square(int size, int in_c, int out_c, int kernel, int stride, int groups) {
  joule::kernels::ConvGeometry g;
  g.in_height = g.in_width = size;
  g.in_channels = in_c;
  g.out_channels = out_c;
  g.kernel_height = g.kernel_width = kernel;
  g.stride_height = g.stride_width = stride;
  g.pad_top = g.pad_left = (kernel - 1) / 2;
  g.groups = groups;
  g.out_height = g.out_width = joule::kernels::conv_output_size(size, kernel, stride, g.pad_top, 1);
  return g;
}

// MobileNetV2 pointwise shapes: pixels side, in, out.
void pointwise(benchmark::State& state) {
  const int side = int(state.range(0)), in_c = int(state.range(1)), out_c = int(state.range(2));
  const std::size_t pixels = std::size_t(side) * side;
  std::vector<float> in(pixels * in_c, 0.5f), w(std::size_t(in_c) * out_c, 0.01f), bias(out_c, 0.1f), out(pixels * out_c);
  for (auto _ : state) {
    joule::kernels::pointwise::reference<joule::ReLU6>(pixels, in_c, out_c, in.data(), w.data(), bias.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, double(pixels) * in_c * out_c, 4.0 * (in.size() + w.size() + out.size()));
}
BENCHMARK(pointwise)->Args({112, 32, 16})->Args({56, 24, 144})->Args({28, 32, 192})->Args({14, 96, 576})
    ->Args({7, 320, 1280})->Unit(benchmark::kMicrosecond);

// MobileNetV2 depthwise shapes: input side, channels, stride.
void depthwise(benchmark::State& state) {
  const auto g = square(int(state.range(0)), int(state.range(1)), int(state.range(1)), 3, int(state.range(2)),
                        int(state.range(1)));
  std::vector<float> in(std::size_t(g.in_height) * g.in_width * g.in_channels, 0.5f), w(9 * std::size_t(g.in_channels), 0.1f),
      bias(g.in_channels, 0.1f), out(std::size_t(g.out_height) * g.out_width * g.out_channels);
  for (auto _ : state) {
    joule::kernels::depthwise::reference<joule::ReLU6>(g, in.data(), w.data(), bias.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, double(out.size()) * 9, 4.0 * (in.size() + w.size() + out.size()));
}
BENCHMARK(depthwise)->Args({112, 32, 1})->Args({112, 96, 2})->Args({56, 144, 1})->Args({14, 576, 1})
    ->Args({7, 960, 1})->Unit(benchmark::kMicrosecond);

// The MobileNetV2 stem: 224x224x3 -> 112x112x32, 3x3 stride 2.
void stem(benchmark::State& state) {
  const auto g = square(224, 3, 32, 3, 2, 1);
  std::vector<float> in(224 * 224 * 3, 0.5f), w(27 * 32, 0.1f), bias(32, 0.1f), out(112 * 112 * 32);
  for (auto _ : state) {
    joule::kernels::conv::reference<joule::ReLU6>(g, in.data(), w.data(), bias.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, double(out.size()) * 27, 4.0 * (in.size() + w.size() + out.size()));
}
BENCHMARK(stem)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
