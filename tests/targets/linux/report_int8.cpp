// The int8 half of the target report: the report's network in int8 (quant::Quantized), bound from
// joule::DeterministicWeights' int8 tensors (no calibration, so every target packs the same
// tensors), on the float32 half's input. Int8 kernels are reference code on every target, and
// their requantization is exactly rounded float, so every target must print the host's bits.
//
// Besides Features and Classifier, a third network runs the depthwise kernels and strides they
// lack (3x3 s2, 5x5 s2, 7x7 s1). Between them, every int8 layer family runs: convolution,
// depthwise 3/5/7 at strides 1 and 2, pointwise, the fused inverted residual with and without
// expansion, projection and squeeze-excite, the unfused residual add, linear, pooling, clamps
// (ReLU, ReLU6) and tables (HardSwish, SiLU, HardSigmoid, Sigmoid).
//
// Printed lines: "int8 kernel PATH NAME" per layer, "int8 output I NANOS BITS" per output
// (Features', then Classifier's, then the depthwise network's).
#include <memory>
#include <span>
#include <vector>

#include "joule/quant.hpp"
#include "report_network.hpp"

namespace {

using Depthwise =
    joule::Network<joule::Shape<11, 9, 13>, joule::DepthwiseConv<3, 2, joule::ReLU>,  // 6x5x13
                   joule::DepthwiseConv<5, 2, joule::Identity>,                       // 3x3x13
                   joule::DepthwiseConv<7, 1, joule::ReLU6>>;                         // 3x3x13
constexpr std::uint32_t depthwise_seed = 20240609u;

using QFeatures = joule::quant::Quantized<report::Features>;
using QClassifier = joule::quant::Quantized<report::Classifier>;
using QDepthwise = joule::quant::Quantized<Depthwise>;

template <class Net>
void print_kernels() {
  Net::visit([](const joule::NodeInfo& node) {
    if (node.leaf) report::print_kernel("int8 ", node);
  });
}

/// Net bound from seed, run on `input`; its outputs, or empty when binding failed.
template <class Net>
std::vector<float> run(std::uint32_t seed, const std::vector<float>& input) {
  auto weights = std::make_unique<typename Net::Weights>();
  if (!report::bind<Net>(seed, *weights)) return {};
  auto arena = std::make_unique<typename Net::Arena>();
  std::vector<float> output(Net::output::size);
  Net(*weights, *arena)
      .forward(std::span<const float, Net::input::size>(input.data(), input.size()),
               std::span<float, Net::output::size>(output.data(), output.size()));
  return output;
}

}  // namespace

/// Prints the int8 lines; returns the number of failures (a network that did not bind).
int report_int8(const std::vector<float>& input) {
  print_kernels<QFeatures>();
  print_kernels<QClassifier>();
  print_kernels<QDepthwise>();
  const std::vector<float> features = run<QFeatures>(report::features_seed, input);
  if (features.empty()) return 1;
  const std::vector<float> logits = run<QClassifier>(report::classifier_seed, features);
  const std::vector<float> depthwise =
      run<QDepthwise>(depthwise_seed, report::input(Depthwise::input::size, 98u));
  if (logits.empty() || depthwise.empty()) return 1;
  std::size_t index = 0;
  for (const std::vector<float>* values : {&features, &logits, &depthwise}) {
    for (const float v : *values) report::print_output("int8 ", index++, v);
  }
  return 0;
}
