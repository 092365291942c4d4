// joule_bench: joule's kernels and models, and the peers found at configure time, in one binary.
// The measured fp32 peak and the SIMD target go into the JSON context, for bench_report.py.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_common.hpp"
#include "joule/arch/simd.hpp"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("joule_simd_target", std::string(joule::arch::name));
  benchmark::AddCustomContext("joule_peak_gflops_per_core", std::to_string(joule::bench::peak_gflops()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
