// What the two halves of the target report (report.cpp: float32, report_int8.cpp: int8) share:
// the network, its input, and how a layer's kernel and an output are printed.
//
// The network touches every kernel family: a strided KxK convolution, depthwise 3x3/5x5/7x7 at
// strides 1 and 2, pointwise, the fused inverted residual with and without squeeze-excite, the
// same block unfused (separate residual add), a fused-MBConv, global pooling and linear layers.
// Channel counts (13, 21, 27, 37, 45) are multiples of no register width, so every tail path runs.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "joule/joule.hpp"

namespace report {

using SEv3 = joule::SqueezeExcite<joule::SqueezeSpec{.divisor = 4, .round_to = 8}, joule::ReLU,
                                  joule::HardSigmoid>;
using SEeff = joule::SqueezeExcite<joule::SqueezeSpec{.divisor = 4, .of_block_input = true},
                                   joule::SiLU, joule::Sigmoid>;
inline constexpr joule::BlockOptions unfused{.fused = false};

// Activations: ReLU6 in most places, HardSwish in the strided convolutions, SiLU (the exp
// approximation) in one block; each further activation would instantiate every kernel again and
// add seconds of compile time on each target, for little: the Catch2 tests cover them all.
// clang-format off
using Features = joule::Network<joule::Shape<23, 21, 3>,
                                joule::Conv2d<13, 3, 2, joule::HardSwish>,
                                joule::DepthwiseSeparable<21, 3, 1, joule::ReLU6>,
                                joule::InvertedResidual<21, 4, 5, 1>,
                                joule::InvertedResidual<27, 3, 7, 2, SEeff, joule::SiLU>,
                                joule::InvertedResidual<27, 3, 3, 1, SEv3, joule::ReLU6, unfused>,
                                joule::FusedMBConv<37, 4, 3, 2, joule::HardSwish>,
                                joule::InvertedResidual<37, 1, 5, 1>,
                                joule::Pointwise<45, joule::ReLU6>>;
// clang-format on
using Classifier = joule::Network<Features::output, joule::GlobalAvgPool,
                                  joule::Linear<19, joule::ReLU6>, joule::Linear<10>>;

// Seeds apart: the two networks' tensor names may collide.
inline constexpr std::uint32_t features_seed = 20240607u;
inline constexpr std::uint32_t classifier_seed = 20240608u;

/// Numerical Recipes' LCG: the same sequence on every target.
class Lcg {
 public:
  explicit Lcg(std::uint32_t seed) : state_(seed) {}
  float centered() {  // [-1, 1), a multiple of 2^-23
    state_ = state_ * 1664525u + 1013904223u;
    return static_cast<float>(state_ >> 8) / 8388608.0f - 1.0f;
  }

 private:
  std::uint32_t state_;
};

/// `count` values in [-1, 1) from the LCG seeded with `seed`.
inline std::vector<float> input(std::size_t count, std::uint32_t seed = 99u) {
  std::vector<float> values(count);
  Lcg lcg(seed);
  for (float& v : values) v = lcg.centered();
  return values;
}

/// Net's weights from joule::DeterministicWeights (float32 or int8 tensors, as Net takes them).
template <class Net>
bool bind(std::uint32_t seed, typename Net::Weights& weights) {
  const auto source = std::make_unique<joule::DeterministicWeights<Net::max_source_elements>>(seed);
  const joule::Status status = joule::bind_weights<Net>(*source, weights);
  if (!status.ok()) std::printf("FAIL: binding %s: %s\n", Net::precision::name, status.c_str());
  return status.ok();
}

/// "PREFIX output I NANOS BITS": NANOS = round(y x 1e9), which run.cmake compares within a
/// tolerance with CMake's integer arithmetic, and BITS = the float's bits in hexadecimal, which it
/// compares exactly where every target must give the same bits (int8).
inline void print_output(const char* prefix, std::size_t index, float value) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  std::printf("%soutput %zu %lld 0x%08x\n", prefix, index,
              static_cast<long long>(std::llround(double(value) * 1e9)),
              static_cast<unsigned>(bits));
}

/// "PREFIX kernel PATH NAME".
inline void print_kernel(const char* prefix, const joule::NodeInfo& node) {
  std::printf("%skernel %.*s %.*s\n", prefix, int(node.path.size()), node.path.data(),
              int(node.kernel.size()), node.kernel.data());
}

}  // namespace report
