// The global average pooling kernel tester: one case of the per-channel mean over `pixels` NHWC
// pixels, run with a kernel record and checked against the reference record (the reference record
// against the naive oracle), nothing written past the channels.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "joule/kernels/pool/dispatch.hpp"
#include "kernel_tester.hpp"

namespace testers {

class PoolTester {
 public:
  PoolTester& pixels(int n) {
    pixels_ = n;
    return *this;
  }
  PoolTester& channels(int n) {
    channels_ = n;
    return *this;
  }

  /// The SIMD kernel sums blocks of 256 pixels in float, then in double: its own tolerance, as
  /// in test_simd_kernels.cpp.
  static constexpr double simd_tolerance = 1e-6;

  template <KernelRecord K>
  Outcome test() const;

 private:
  int pixels_ = 1;
  int channels_ = 1;
};

template <KernelRecord K>
Outcome PoolTester::test() const {
  namespace pool = joule::kernels::pool;
  const std::vector<float> in =
      inputs(std::size_t(pixels_) * channels_, seed_of({pixels_, channels_}));
  const auto what = [&] {
    return std::string(K.name().view()) + ": pixels " + std::to_string(pixels_) + ", channels " +
           std::to_string(channels_);
  };
  std::vector<float> expected = output_buffer(channels_);
  if constexpr (K.simd()) {
    pool::global_average<pool::reference_kernel>(pixels_, channels_, in.data(), expected.data());
  } else {
    expected =
        expected_buffer(naive::global_average(naive::from_floats(in.data(), 1, pixels_, channels_)),
                        [](std::size_t) { return true; });
  }
  Outcome outcome;
  outcome.output = output_buffer(channels_);
  pool::global_average<K>(pixels_, channels_, in.data(), outcome.output.data());
  outcome.passed = check(compare(outcome.output, expected),
                         K.simd() ? simd_tolerance : testing::tolerance, what);
  return outcome;
}

}  // namespace testers
