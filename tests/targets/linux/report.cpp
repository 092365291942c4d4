// The target report: the instruction set the kernels were compiled for, the kernel each layer of a
// small network runs, and that network's outputs for fixed weights and input.
//
// It is built for every Linux target (tests/targets/linux/run.cmake), and once for the host with
// the reference kernels (JOULE_NO_SIMD): that host run is the reference each target must match.
// The weights (joule::DeterministicWeights) and the input come from integer generators and square
// roots only, so that every target computes on the same floats whatever its C library's sin or exp.
//
// The network touches every kernel family: a strided KxK convolution, depthwise 3x3/5x5/7x7 at
// strides 1 and 2, pointwise, the fused inverted residual with and without squeeze-excite, the
// same block unfused (separate residual add), a fused-MBConv, global pooling and linear layers.
// Channel counts (13, 21, 27, 37, 45) are multiples of no register width, so every tail path runs.
//
// Printed lines, parsed by run.cmake:
//   machine NAME / compiler VERSION / arch NAME / lanes N
//   kernel PATH NAME     one per layer that runs a kernel, in network order
//   output I VALUE       VALUE = round(y x 1e9): run.cmake compares with CMake's integer arithmetic
//   FAIL: ...            a kernel that is not the expected target's (JOULE_EXPECTED_ARCH)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "joule/joule.hpp"

namespace {

using SEv3 = joule::SqueezeExcite<joule::SqueezeSpec{.divisor = 4, .round_to = 8}, joule::ReLU,
                                  joule::HardSigmoid>;
using SEeff = joule::SqueezeExcite<joule::SqueezeSpec{.divisor = 4, .of_block_input = true},
                                   joule::SiLU, joule::Sigmoid>;
constexpr joule::BlockOptions unfused{.fused = false};

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

constexpr double output_scale = 1e9;

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

constexpr std::string_view machine() {
#if defined(__aarch64__)
  return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__x86_64__)
  return "x86_64";
#else
  return "other";
#endif
}

int failures = 0;

template <class Net>
void print_kernels() {
  Net::visit([](const joule::NodeInfo& node) {
    if (!node.leaf) return;
    std::printf("kernel %.*s %.*s\n", int(node.path.size()), node.path.data(),
                int(node.kernel.size()), node.kernel.data());
#if defined(JOULE_EXPECTED_ARCH)
    // Every layer of this network has a SIMD kernel on a SIMD target: none may fall back.
    const std::string_view expected = JOULE_EXPECTED_ARCH;
    const std::string suffix = "__" + std::string(expected == "scalar" ? "reference" : expected);
    if (!node.kernel.ends_with(suffix)) {
      ++failures;
      std::printf("FAIL: layer %.*s runs %.*s, not a %.*s kernel\n", int(node.path.size()),
                  node.path.data(), int(node.kernel.size()), node.kernel.data(),
                  int(expected.size()), expected.data());
    }
#endif
  });
}

template <class Net>
bool bind(std::uint32_t seed, typename Net::Weights& weights) {
  const auto source = std::make_unique<joule::DeterministicWeights<Net::max_source_elements>>(seed);
  const joule::Status status = joule::bind_weights<Net>(*source, weights);
  if (!status.ok()) std::printf("FAIL: binding: %s\n", status.c_str());
  return status.ok();
}

}  // namespace

int main() {
  std::printf("machine %.*s\ncompiler %s\narch %.*s\nlanes %zu\n", int(machine().size()),
              machine().data(), __VERSION__, int(joule::arch::name.size()),
              joule::arch::name.data(), joule::arch::lanes);
#if defined(JOULE_EXPECTED_ARCH)
  if (joule::arch::name != std::string_view(JOULE_EXPECTED_ARCH)) {
    ++failures;
    std::printf("FAIL: built for %.*s, expected %s\n", int(joule::arch::name.size()),
                joule::arch::name.data(), JOULE_EXPECTED_ARCH);
  }
#endif
  print_kernels<Features>();
  print_kernels<Classifier>();

  auto features_weights = std::make_unique<Features::Weights>();
  auto classifier_weights = std::make_unique<Classifier::Weights>();
  // Seeds apart: the two networks' tensor names may collide.
  if (!bind<Features>(20240607u, *features_weights) || !bind<Classifier>(20240608u, *classifier_weights))
    return 1;

  std::vector<float> input(Features::input::size);
  Lcg lcg(99u);
  for (float& v : input) v = lcg.centered();

  auto features_arena = std::make_unique<Features::Arena>();
  auto classifier_arena = std::make_unique<Classifier::Arena>();
  std::vector<float> features(Features::output::size), logits(Classifier::output::size);
  Features(*features_weights, *features_arena)
      .forward(std::span<const float, Features::input::size>(input.data(), input.size()),
               std::span<float, Features::output::size>(features.data(), features.size()));
  Classifier(*classifier_weights, *classifier_arena)
      .forward(std::span<const float, Classifier::input::size>(features.data(), features.size()),
               std::span<float, Classifier::output::size>(logits.data(), logits.size()));

  std::size_t index = 0;
  for (const std::vector<float>* values : {&features, &logits}) {
    for (const float v : *values) {
      std::printf("output %zu %lld\n", index++,
                  static_cast<long long>(std::llround(double(v) * output_scale)));
    }
  }
  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
