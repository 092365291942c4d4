// The sparse pointwise kernel (kernels/sparse/) on real layer shapes, beside the dense one: the
// MobileNetV2 pointwise shapes of bench/shapes.hpp (their dense rows are bench_kernels.cpp's) and
// the pointwise layers of the Fashion-MNIST student (examples/fashion/fashion_student.hpp, whose
// dense rows are here), with random weights pruned by magnitude to 50, 70, 80, 90 and 95%.
// As the layers would call it: the record sparse::choose() picks, bias, ReLU6, one thread. Names:
//   pointwise_sparse/joule/<model>/<shape>/s<percent>   (and .../reference/... for the reference)
//   pointwise/joule/fashion_student/<shape>             (the dense kernel on the student's shapes)
// Counters: GFLOP/s counts the dense layer's FLOPs (2 per MAC of the unpruned layer), so that it
// reads against the dense row as a speedup; GFLOP/s_actual counts the FLOPs done (2 per stored
// weight per pixel).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/pointwise/dispatch.hpp"
#include "joule/kernels/sparse/dispatch.hpp"
#include "shapes.hpp"

namespace joule::bench {
namespace {

/// The pointwise layers of the Fashion-MNIST student, at its 28x28 input: the first block's
/// projection, then each block's expansion and projection, and the head.
inline constexpr std::array<PointwiseShape, 7> student_shapes{{
    {"fashion_student", 28, 28, 8, 8},
    {"fashion_student", 28, 28, 8, 32},
    {"fashion_student", 14, 14, 32, 16},
    {"fashion_student", 14, 14, 16, 64},
    {"fashion_student", 7, 7, 64, 24},
    {"fashion_student", 7, 7, 24, 96},  // also the head's 24 -> 96
    {"fashion_student", 7, 7, 96, 24},
}};

inline constexpr int sparsities[] = {50, 70, 80, 90, 95};

/// Zeros the `percent` of `w` with the smallest magnitudes.
void prune_by_magnitude(std::vector<float>& w, int percent) {
  const std::size_t pruned = w.size() * static_cast<std::size_t>(percent) / 100;
  if (pruned == 0) return;
  std::vector<float> magnitudes(w.size());
  std::transform(w.begin(), w.end(), magnitudes.begin(), [](float v) { return std::abs(v); });
  std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<std::ptrdiff_t>(pruned - 1),
                   magnitudes.end());
  const float threshold = magnitudes[pruned - 1];
  std::size_t zeroed = 0;
  for (float& v : w) {
    if (zeroed < pruned && std::abs(v) <= threshold) {
      v = 0.0f;
      ++zeroed;
    }
  }
}

void pointwise_sparse(benchmark::State& state, PointwiseShape s, int percent,
                      kernels::KernelRecord record) {
  const std::size_t pixels = static_cast<std::size_t>(s.height) * s.width;
  const auto in = random_values(pixels * s.in_channels, 1);
  auto dense =
      random_values(static_cast<std::size_t>(s.out_channels) * s.in_channels, 2);  // [out][in]
  prune_by_magnitude(dense, percent);
  const std::size_t nonzeros =
      kernels::sparse::count_nonzeros(dense.data(), s.out_channels, s.in_channels);
  std::vector<std::uint32_t> offsets(static_cast<std::size_t>(s.out_channels) + 1);
  std::vector<std::uint16_t> columns(std::max<std::size_t>(nonzeros, 1));
  std::vector<float> values(columns.size());
  const Status status =
      kernels::sparse::compress(dense.data(), s.out_channels, s.in_channels, offsets.data(),
                                columns.data(), values.data(), nonzeros);
  if (!status.ok()) {
    state.SkipWithError(status.c_str());
    return;
  }
  const kernels::sparse::SparseMatrixView weights{s.out_channels, s.in_channels, offsets.data(),
                                                  columns.data(), values.data()};
  const auto bias = random_values(static_cast<std::size_t>(s.out_channels), 3);
  std::vector<float> out(pixels * s.out_channels);
  kernels::with_record<kernels::sparse::records>(record, [&]<kernels::KernelRecord K>() {
    for (auto _ : state) {
      kernels::sparse::run<K, ReLU6>(0, pixels, weights, in.data(), bias.data(), nullptr,
                                     out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  });
  const double dense_macs = double(pixels) * s.in_channels * s.out_channels;
  const double bytes =
      4.0 * double(in.size() + out.size() + offsets.size()) + 6.0 * double(nonzeros);
  set_counters(state, dense_macs, bytes);
  state.counters["GFLOP/s_actual"] =
      benchmark::Counter(2.0 * double(pixels) * double(nonzeros) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate);
  state.counters["nonzeros"] = double(nonzeros);
  state.SetLabel(std::string(record.name().view()));
}

/// The dense kernel as bench_kernels.cpp times it, for the student's shapes.
void pointwise_dense(benchmark::State& state, PointwiseShape s) {
  constexpr kernels::KernelRecord K = kernels::pointwise::choose();
  const std::size_t pixels = static_cast<std::size_t>(s.height) * s.width;
  const auto in = random_values(pixels * s.in_channels, 1);
  const auto w = random_values(kernels::gemm::packed_size(s.in_channels, s.out_channels), 2);
  const auto bias = random_values(kernels::gemm::padded_cols(s.out_channels), 3);
  std::vector<float> out(pixels * s.out_channels);
  for (auto _ : state) {
    kernels::pointwise::run<K, ReLU6>(0, pixels, s.in_channels, s.out_channels, in.data(), w.data(),
                                      bias.data(), nullptr, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, double(pixels) * s.in_channels * s.out_channels,
               4.0 * double(in.size() + std::size_t(s.in_channels) * s.out_channels + out.size()));
  state.SetLabel(std::string(K.name().view()));
}

std::string shape_of(const PointwiseShape& s) {
  return std::string(s.model) + "/" + shape_name(s.height, s.width, s.in_channels) + "->" +
         std::to_string(s.out_channels);
}

void register_sparse(const PointwiseShape& s) {
  for (int percent : sparsities) {
    const std::string suffix = shape_of(s) + "/s" + std::to_string(percent);
    benchmark::RegisterBenchmark(("pointwise_sparse/joule/" + suffix).c_str(), pointwise_sparse, s,
                                 percent, kernels::sparse::choose())
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark(("pointwise_sparse/reference/" + shape_of(s) + "/s90").c_str(),
                               pointwise_sparse, s, 90, kernels::sparse::reference_kernel)
      ->Unit(benchmark::kMicrosecond);
}

const bool registered = [] {
  for (const PointwiseShape& s : pointwise_shapes)
    if (std::string(s.model) == "mobilenet_v2") register_sparse(s);
  for (const PointwiseShape& s : student_shapes) {
    benchmark::RegisterBenchmark(("pointwise/joule/" + shape_of(s)).c_str(), pointwise_dense, s)
        ->Unit(benchmark::kMicrosecond);
    register_sparse(s);
  }
  return true;
}();

}  // namespace
}  // namespace joule::bench
