// Linear, BatchNorm, SqueezeExcite and GlobalAvgPool as layers, against the naive oracle and
// hand-computed values; BatchNorm folded into a convolution equals the two run apart.
#include <catch2/catch.hpp>

#include "../support/harness.hpp"
#include "joule/joule.hpp"

using namespace joule;
using testing::Harness;
using testing::TensorTable;

TEST_CASE("Linear: hand-computed, with PyTorch's CHW flattening", "[layers][linear]") {
  // Input 1x2x2 (H=1, W=2, C=2), NHWC values: pixel 0 = (1, 2), pixel 1 = (3, 4).
  // PyTorch flattens CHW: (c0p0, c0p1, c1p0, c1p1) = (1, 3, 2, 4).
  using Net = Network<Shape<1, 2, 2>, Linear<2>>;
  TensorTable table;
  table.add("0.weight", {2, 4}, {1, 0, 0, 0,     // picks c0p0 = 1
                                 0, 0, 0, 10});  // picks 10 * c1p1 = 40
  table.add("0.bias", {2}, {0.5f, -1.0f});
  Harness<Net> harness(table);
  CHECK(harness.run({1, 2, 3, 4}) == std::vector<float>{1.5f, 39.0f});
  STATIC_REQUIRE(Net::cost.params == 10);
  STATIC_REQUIRE(Net::cost.macs == 8);
}

template <class In, int Out, class Act, bool Bias>
void check_linear(std::uint32_t seed) {
  using Net = Network<In, Linear<Out, Act, Bias>>;
  TensorTable table = TensorTable::deterministic_for<Net>(seed);
  Harness<Net> harness(table);
  const auto input = testing::random_vector(In::size, seed + 1);
  naive::Tensor expected = naive::linear(naive::from_floats(input.data(), In::height, In::width, In::channels),
                                         table["0.weight"], Bias ? table["0.bias"] : nullptr, Out);
  naive::apply(expected, naive::activation(std::string(Act::name)));
  CHECK(testing::relative_error(harness.run(input), expected) < testing::tolerance);
  CHECK(Net::cost.params == In::size * Out + (Bias ? Out : 0));
}

TEST_CASE("Linear matches the oracle on pooled and spatial inputs", "[layers][linear]") {
  check_linear<Shape<1, 1, 24>, 10, Identity, true>(31);
  check_linear<Shape<3, 2, 5>, 7, ReLU, false>(32);
  check_linear<Shape<1, 1, 1>, 1, HardSwish, true>(33);
  check_linear<Shape<2, 5, 3>, 17, Identity, true>(34);
}

template <class In, class Act, int EpsLog10>
void check_batch_norm(std::uint32_t seed) {
  using Net = Network<In, BatchNorm<EpsLog10, Act>>;
  TensorTable table = TensorTable::deterministic_for<Net>(seed);
  Harness<Net> harness(table);
  const auto input = testing::random_vector(In::size, seed + 1);
  naive::Tensor expected = naive::from_floats(input.data(), In::height, In::width, In::channels);
  naive::batch_norm(expected, table["0.weight"], table["0.bias"], table["0.running_mean"], table["0.running_var"],
                    pow10(EpsLog10));
  naive::apply(expected, naive::activation(std::string(Act::name)));
  CHECK(testing::relative_error(harness.run(input), expected) < testing::tolerance);
  CHECK(Net::cost.params == 2 * In::channels);
}

TEST_CASE("BatchNorm as its own layer matches the oracle, in place", "[layers][batchnorm]") {
  check_batch_norm<Shape<5, 4, 7>, Identity, -5>(41);
  check_batch_norm<Shape<3, 3, 20>, ReLU6, -3>(42);
  STATIC_REQUIRE(bind_t<BatchNorm<>, Shape<5, 4, 7>>::in_place);
}

TEST_CASE("BatchNorm folded into the convolution equals convolution then BatchNorm", "[layers][batchnorm]") {
  using In = Shape<9, 8, 5>;
  using Folded = Network<In, Conv2d<12, 3, 2, ReLU>>;
  using Apart = Network<In, Conv2d<12, 3, 2, Identity, ConvOptions{.norm = Norm::none}>, BatchNorm<-5, ReLU>>;
  TensorTable folded_table = TensorTable::deterministic_for<Folded>(51);
  TensorTable apart_table;
  apart_table.add("0.weight", {12, 5, 3, 3}, folded_table.values("0.0.weight"));
  for (const char* name : {"weight", "bias", "running_mean", "running_var"}) {
    apart_table.add(std::string("1.") + name, {12}, folded_table.values(std::string("0.1.") + name));
  }
  Harness<Folded> folded(folded_table);
  Harness<Apart> apart(apart_table);
  const auto input = testing::random_vector(In::size, 52);
  CHECK(testing::relative_error(folded.run(input), apart.run(input)) < 1e-5);
  // The same parameters by PyTorch's count, but the folded network reads fewer bytes.
  STATIC_REQUIRE(Folded::cost.params == Apart::cost.params);
  STATIC_REQUIRE(Folded::cost.activation_read_bytes < Apart::cost.activation_read_bytes);
}

template <class In, class SE, int Squeezed, class Act, class Gate>
void check_squeeze_excite(std::uint32_t seed) {
  using Net = Network<In, SE>;
  STATIC_REQUIRE(Net::root::template nth<0>::squeezed == Squeezed);
  TensorTable table = TensorTable::deterministic_for<Net>(seed);
  Harness<Net> harness(table);
  const auto input = testing::random_vector(In::size, seed + 1);
  const naive::Tensor expected = naive::squeeze_excite(
      naive::from_floats(input.data(), In::height, In::width, In::channels), table["0.fc1.weight"],
      table["0.fc1.bias"], table["0.fc2.weight"], table["0.fc2.bias"], Squeezed,
      naive::activation(std::string(Act::name)), naive::activation(std::string(Gate::name)));
  CHECK(testing::relative_error(harness.run(input), expected) < testing::tolerance);
  // torchvision's SqueezeExcitation: two 1x1 convolutions with bias.
  CHECK(Net::cost.params == std::uint64_t(2 * In::channels * Squeezed + Squeezed + In::channels));
  CHECK(Net::cost.macs == std::uint64_t(2 * In::channels * Squeezed));
}

TEST_CASE("SqueezeExcite matches torchvision's SqueezeExcitation", "[layers][se]") {
  check_squeeze_excite<Shape<5, 7, 12>, SqueezeExcite<4>, 3, ReLU, Sigmoid>(61);
  // MobileNetV3: make_divisible(40 / 4, 8) = 16.
  check_squeeze_excite<Shape<3, 3, 40>, SqueezeExcite<SqueezeSpec{.divisor = 4, .round_to = 8}, ReLU, HardSigmoid>,
                       16, ReLU, HardSigmoid>(62);
  check_squeeze_excite<Shape<4, 1, 17>, SqueezeExcite<SqueezeSpec{.channels = 5}, SiLU, Sigmoid>, 5, SiLU, Sigmoid>(63);
  check_squeeze_excite<Shape<2, 2, 3>, SqueezeExcite<4>, 1, ReLU, Sigmoid>(64);  // never below one channel
}

TEST_CASE("squeeze channel rules of MobileNetV3 and EfficientNet", "[layers][se]") {
  STATIC_REQUIRE(make_divisible(72 / 4, 8) == 24);   // V3-Large block 4: 72 expanded -> 24
  STATIC_REQUIRE(make_divisible(120 / 4, 8) == 32);
  STATIC_REQUIRE(make_divisible(960 / 4, 8) == 240);
  STATIC_REQUIRE(make_divisible(16 / 4, 8) == 8);     // V3-Small first block
  STATIC_REQUIRE(squeeze_channels(SqueezeSpec{.divisor = 4, .of_block_input = true}, 16) == 4);
  using Resolved = SqueezeExcite<SqueezeSpec{.divisor = 4, .of_block_input = true}, SiLU>::in_block<24>;
  STATIC_REQUIRE(bind_t<Resolved, Shape<8, 8, 144>>::squeezed == 6);  // EfficientNet: 24 / 4, not 144 / 4
}

TEST_CASE("GlobalAvgPool matches the oracle", "[layers][pool]") {
  using Net = Network<Shape<5, 3, 9>, GlobalAvgPool>;
  TensorTable table;
  Harness<Net> harness(table);
  const auto input = testing::random_vector(Net::input::size, 71);
  STATIC_REQUIRE(std::is_same_v<Net::output, Shape<1, 1, 9>>);
  CHECK(testing::relative_error(harness.run(input), naive::global_average(naive::from_floats(input.data(), 5, 3, 9))) <
        testing::tolerance);
  STATIC_REQUIRE(Net::cost.params == 0);
}
