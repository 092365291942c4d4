// pointwise/eigen/...: a 1x1 convolution is a matrix product, [pixels x Cin] (NHWC input) times
// [Cin x Cout], so Eigen's GEMM on every shape of bench/shapes.hpp shows what a general-purpose
// BLAS-like kernel reaches on these skinny products. Only the product: no bias, no activation.
//
// Threads: Eigen runs its products on several threads only when built with OpenMP, which this
// target is not; EIGEN_DONT_PARALLELIZE makes one thread explicit rather than incidental, so the
// comparison with joule's single-thread kernels is one core against one core.
#define EIGEN_DONT_PARALLELIZE
// GCC 12 reports -Wmaybe-uninitialized inside its own avx512fintrin.h (the __Y placeholder of the
// _mm512_undefined_* intrinsics, GCC bug 105593, fixed in GCC 13) once Eigen's AVX-512 packet code
// is inlined here; the system-header exemption does not hold for this middle-end warning.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "../bench_common.hpp"
#include "../shapes.hpp"

namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void product(benchmark::State& state, int pixels, int in_channels, int out_channels) {
  std::mt19937 engine(1);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  auto random = [&](std::size_t count) {
    std::vector<float> values(count);
    for (float& v : values) v = value(engine);
    return values;
  };
  const std::vector<float> input = random(std::size_t(pixels) * in_channels);
  const std::vector<float> weights = random(std::size_t(in_channels) * out_channels);
  std::vector<float> output(std::size_t(pixels) * out_channels);

  // Maps over the same row-major buffers joule uses (NHWC activations, [Cin][Cout] weights), so
  // no copy or transposition is timed; noalias() lets Eigen write the result in place.
  const Eigen::Map<const RowMajor> in(input.data(), pixels, in_channels);
  const Eigen::Map<const RowMajor> w(weights.data(), in_channels, out_channels);
  Eigen::Map<RowMajor> out(output.data(), pixels, out_channels);
  for (auto _ : state) {
    out.noalias() = in * w;
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  joule::bench::set_counters(state, double(pixels) * in_channels * out_channels,
                             4.0 * double(input.size() + weights.size() + output.size()));
  state.SetLabel("product only, Eigen::nbThreads() = " + std::to_string(Eigen::nbThreads()));
}

const bool registered = [] {
  for (const auto& p : joule::bench::pointwise_shapes) {
    const std::string name = std::string("pointwise/eigen/") + p.model + "/" +
                             joule::bench::shape_name(p.height, p.width, p.in_channels) + "->" +
                             std::to_string(p.out_channels);
    const int pixels = p.height * p.width, in_channels = p.in_channels, out_channels = p.out_channels;
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
      product(state, pixels, in_channels, out_channels);
    })->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
