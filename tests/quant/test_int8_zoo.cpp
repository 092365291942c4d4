// Each zoo family in int8 against its float network: deterministic float weights, a calibration
// on random inputs, the weights quantized (quant::quantize_weights), then both networks on inputs
// the calibration did not see. What is required, and why:
//   cosine(int8 logits, float logits) >= 0.98 (0.95 for EfficientNet): post-training int8 with
//     per-channel weights and min/max activation ranges keeps MobileNets within a few percent
//     (Krishnamoorthi, "Quantizing deep convolutional networks for efficient inference", 2018,
//     Table 3: per-channel PTQ of MobileNetV2 loses under 1% top-1); the depthwise layers and
//     SiLU tables of EfficientNet lose more, so its bound is lower;
//   the same top-1 class on every test input: the logits of these networks spread far wider than
//     the int8 error (their top two differ by well over the error measured here).
// The measured cosines are printed by the test (see docs/quantization.md for a run).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "joule/joule.hpp"
#include "joule/models.hpp"
#include "joule/quant.hpp"
#include "joule/quant/calibrate.hpp"
#include "joule/quant/quantize_weights.hpp"

using namespace joule;

namespace {

std::vector<float> normal_input(std::size_t count, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> value;
  std::vector<float> v(count);
  for (float& x : v) x = value(engine);
  return v;
}

template <class Net>
void check_int8_against_float(const char* name, double min_cosine, int calibration_inputs,
                              int test_inputs) {
  using Q = quant::Quantized<Net>;
  constexpr unsigned seed = 5;
  // The float network and its PyTorch-layout tensors.
  io::TensorStore floats;
  Net::visit([&](const NodeInfo& node) {
    for (const TensorSpec& spec : node.tensors) {
      const std::string tensor(
          tensor_name(node.path, node.part_names[spec.part], spec.name).view());
      auto* values = reinterpret_cast<float*>(
          floats.add(tensor, DType::f32,
                     std::vector<std::int64_t>(spec.dims.begin(), spec.dims.begin() + spec.rank)));
      for (std::size_t i = 0; i < spec.elements(); ++i)
        values[i] = deterministic_value(seed, spec, tensor, i);
    }
  });
  auto float_weights = std::make_unique<typename Net::Weights>();
  REQUIRE(bind_weights<Net>(floats, *float_weights).ok());

  quant::Calibrator<Net> calibrator(std::as_const(*float_weights).span());
  for (int i = 0; i < calibration_inputs; ++i) {
    const auto input = normal_input(Net::input::size, 100 + i);
    REQUIRE(
        calibrator.add(std::span<const float, Net::input::size>(input.data(), input.size())).ok());
  }
  io::TensorStore params, quantized;
  REQUIRE(calibrator.write_params(params).ok());
  const Status quantizing = quant::quantize_weights<Net>(floats, params, quantized);
  INFO(quantizing.message());
  REQUIRE(quantizing.ok());
  auto int8_weights = std::make_unique<typename Q::Weights>();
  const Status binding = bind_weights<Q>(quantized, *int8_weights);
  INFO(binding.message());
  REQUIRE(binding.ok());

  auto float_arena = std::make_unique<typename Net::Arena>();
  auto int8_arena = std::make_unique<typename Q::Arena>();
  Net float_net(*float_weights, *float_arena);
  Q int8_net(*int8_weights, *int8_arena);
  for (int t = 0; t < test_inputs; ++t) {
    const auto input = normal_input(Net::input::size, 200 + t);
    std::vector<float> expected(Net::output::size), actual(Net::output::size);
    float_net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
                      std::span<float, Net::output::size>(expected.data(), expected.size()));
    int8_net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
                     std::span<float, Net::output::size>(actual.data(), actual.size()));
    double dot = 0, a = 0, b = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      dot += double(expected[i]) * actual[i];
      a += double(expected[i]) * expected[i];
      b += double(actual[i]) * actual[i];
    }
    const double cosine = dot / std::sqrt(a * b);
    const auto top = [](const std::vector<float>& v) {
      return std::max_element(v.begin(), v.end()) - v.begin();
    };
    std::printf("%s int8 vs float, input %d: cosine %.5f, top-1 %ld / %ld\n", name, t, cosine,
                long(top(actual)), long(top(expected)));
    INFO(name << " input " << t << ": cosine " << cosine);
    CHECK(cosine >= min_cosine);
    CHECK(top(actual) == top(expected));
  }
}

}  // namespace

TEST_CASE("int8 MobileNetV1 0.25-128 agrees with its float network", "[quant][zoo]") {
  check_int8_against_float<
      models::MobileNetV1<models::MobileNetV1Config{.alpha = {1, 4}, .resolution = 128}>>(
      "mobilenet_v1_0.25_128", 0.98, 4, 2);
}

TEST_CASE("int8 MobileNetV2 agrees with its float network", "[quant][zoo]") {
  check_int8_against_float<models::MobileNetV2<>>("mobilenet_v2", 0.98, 4, 2);
}

TEST_CASE("int8 MobileNetV3-Small agrees with its float network", "[quant][zoo]") {
  check_int8_against_float<models::MobileNetV3<models::mobilenet_v3_small>>("mobilenet_v3_small",
                                                                            0.98, 4, 2);
}

TEST_CASE("int8 EfficientNet-B0 agrees with its float network", "[quant][zoo]") {
  check_int8_against_float<models::EfficientNet<models::efficientnet_b0>>("efficientnet_b0", 0.95,
                                                                          4, 2);
}

TEST_CASE("int8 EfficientNetV2-S agrees with its float network", "[quant][zoo]") {
  check_int8_against_float<models::EfficientNetV2<models::efficientnet_v2_s>>("efficientnet_v2_s",
                                                                              0.95, 1, 1);
}

TEST_CASE("int8 MobileNetV2's estimated energy is within the README's budget, a seventh of float's",
          "[quant][zoo][energy]") {
  using Net = models::MobileNetV2<>;
  using Q = quant::Quantized<Net>;
  // The README's budget line: a compile-time figure.
  static_assert(Q::energy().total_uj() < 300.0, "over the energy budget");
  constexpr double ratio = Q::energy().total_pj() / Net::energy().total_pj();
  INFO("int8 / float32 estimated energy " << ratio);
  CHECK(ratio < 0.15);
  // The MACs cost 15x less, but each int8 output is requantized in float: its arithmetic falls
  // by less than 10x (8.3x with the default table), and the requantization is nearly half of it.
  CHECK(Q::energy().compute_pj < Net::energy().compute_pj / 8);
  constexpr double macs_pj = static_cast<double>(Q::cost.macs) * energy::horowitz_45nm.int8_mac_pj;
  CHECK(Q::energy().compute_pj - macs_pj > 0.4 * Q::energy().compute_pj);
}

TEST_CASE("int8 MobileNetV2 with int8 in and out has a smaller arena, the same weights",
          "[quant][zoo][edges]") {
  using Net = models::MobileNetV2<>;
  using Q = quant::Quantized<Net>;
  using Q8 = quant::Quantized<Net, quant::Edges::int8>;
  // The float-edged arena holds the float input (224 x 224 x 3 x 4 bytes) beside its int8 copy;
  // with int8 edges the largest int8 tensors and scratch side by side set it (605,696 bytes
  // against 752,640).
  STATIC_REQUIRE(Q::arena_bytes >= Net::input::size * (sizeof(float) + 1));
  STATIC_REQUIRE(Q8::arena_bytes < Q::arena_bytes);
  STATIC_REQUIRE(Q8::weight_bytes == Q::weight_bytes);
  INFO("arena bytes: float edges " << Q::arena_bytes << ", int8 edges " << Q8::arena_bytes);
  CHECK(Q8::cost.macs == Q::cost.macs);
}
