// What every benchmark in joule_bench reports, so that joule's kernels and the peers are read
// side by side: MACs, GFLOP/s (2 FLOPs per MAC), bytes touched and percent of this machine's fp32
// peak, measured once per run by peak_gflops().
//
// Names follow one grammar: "<op>/<who>/<model>/<shape>", e.g.
//   pointwise/joule/mobilenet_v2/112x112x32->16
//   pointwise/xnnpack/mobilenet_v2/112x112x32->16
//   depthwise/joule/efficientnet_b0/56x56x144/k5s2
//   model/joule/mobilenet_v2/threads:2
// so that scripts/bench_report.py can put the rows for one shape next to each other.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace joule::bench {

/// fp32 GFLOP/s of one core, from a loop of independent FMAs at the widest SIMD width this build
/// targets. Measured on first use (about 0.3 s).
double peak_gflops();

inline void set_counters(benchmark::State& state, double macs, double bytes) {
  state.counters["MACs"] = macs;
  state.counters["bytes"] = bytes;
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  // A rate counter divides by the time per iteration, so this is GFLOP/s / peak * 100.
  state.counters["peak%"] =
      benchmark::Counter(2.0 * macs * 1e-9 / peak_gflops() * 100.0, benchmark::Counter::kIsIterationInvariantRate);
}

/// The int8 kernels' counters: MACs, bytes and GOP/s (2 integer operations per MAC), so that a
/// row reads beside an fp32 row's GFLOP/s on the same shape.
inline void set_int8_counters(benchmark::State& state, double macs, double bytes) {
  state.counters["MACs"] = macs;
  state.counters["bytes"] = bytes;
  state.counters["GOP/s"] =
      benchmark::Counter(2.0 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

/// Floats uniform in [-1, 1], deterministic from the seed: the inputs and weights of the rows.
inline std::vector<float> random_values(std::size_t count, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& v : values) v = value(engine);
  return values;
}

inline std::string shape_name(int height, int width, int channels) {
  return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
}

}  // namespace joule::bench
