// peak_gflops(): twelve independent FMA chains on the widest batch this build targets; enough
// chains to cover FMA latency on current cores, so the loop runs at the FMA units' throughput.
#include <chrono>

#include "bench_common.hpp"
#include "joule/arch/simd.hpp"

namespace joule::bench {

namespace {
double measure() {
#if JOULE_SIMD
  using Batch = xsimd::batch<float, arch::Default>;
#else
  using Batch = float;
#endif
  constexpr int lanes = sizeof(Batch) / sizeof(float);
  Batch a0(0.1f), a1(0.2f), a2(0.3f), a3(0.4f), a4(0.5f), a5(0.6f), a6(0.7f), a7(0.8f), a8(0.9f), a9(1.0f),
      a10(1.1f), a11(1.2f);
  const Batch m(0.99999f), c(1e-7f);
  const long iterations = 20'000'000;
  double best = 0.0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) {
#if JOULE_SIMD
#define JOULE_FMA(x) x = xsimd::fma(x, m, c)
#else
#define JOULE_FMA(x) x = x * m + c
#endif
      JOULE_FMA(a0); JOULE_FMA(a1); JOULE_FMA(a2); JOULE_FMA(a3); JOULE_FMA(a4); JOULE_FMA(a5);
      JOULE_FMA(a6); JOULE_FMA(a7); JOULE_FMA(a8); JOULE_FMA(a9); JOULE_FMA(a10); JOULE_FMA(a11);
#undef JOULE_FMA
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double gflops = double(iterations) * 12 * lanes * 2 / seconds * 1e-9;
    if (gflops > best) best = gflops;
  }
  Batch sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
  benchmark::DoNotOptimize(sum);
  return best;
}
}  // namespace

double peak_gflops() {
  static const double peak = measure();
  return peak;
}

}  // namespace joule::bench
