// The target report: the instruction set the kernels were compiled for, the kernel each layer of a
// small network runs (report_network.hpp), and that network's outputs for fixed weights and input,
// in float32 (this file) and in int8 (report_int8.cpp).
//
// It is built for every Linux target (tests/targets/linux/run.cmake), and once for the host with
// the reference kernels (JOULE_NO_SIMD): that host run is the reference each target must match.
// The weights (joule::DeterministicWeights) and the input come from integer generators and square
// roots only, so that every target computes on the same floats whatever its C library's sin or exp.
//
// Printed lines, parsed by run.cmake:
//   machine NAME / compiler VERSION / arch NAME / lanes N
//   kernel PATH NAME             one per float32 layer that runs a kernel, in network order
//   output I NANOS BITS          the float32 outputs: round(y x 1e9) and the float's bits
//   int8 kernel PATH NAME        the same for the int8 network (report_int8.cpp)
//   int8 output I NANOS BITS
//   FAIL: ...                    a kernel that is not the expected target's (JOULE_EXPECTED_ARCH)
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "report_network.hpp"

int report_int8(const std::vector<float>& input);

namespace {

using report::Classifier;
using report::Features;

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
    report::print_kernel("", node);
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
  if (!report::bind<Features>(report::features_seed, *features_weights) ||
      !report::bind<Classifier>(report::classifier_seed, *classifier_weights))
    return 1;

  const std::vector<float> input = report::input(Features::input::size);
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
    for (const float v : *values) report::print_output("", index++, v);
  }
  failures += report_int8(input);
  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
