// Conv2d, DepthwiseConv and Pointwise as layers: weights bound by name from PyTorch layouts
// (BatchNorm folded), run through a Network, compared with the naive oracle; shapes and costs
// checked against PyTorch's rules.
#include <catch2/catch.hpp>

#include <string>

#include "../support/harness.hpp"
#include "../support/packing.hpp"
#include "joule/joule.hpp"

using namespace joule;
using testing::Harness;
using testing::TensorTable;

namespace {

std::string prefix_for(Norm norm) { return norm == Norm::batch ? "0.0." : "0."; }

/// Any of the three conv layers, as the only layer of a network, against the oracle.
template <class In, class Layer, int Out, int Kernel, int Stride, int Groups, ConvOptions Options>
void check_conv_layer(std::uint32_t seed) {
  using Net = Network<In, Layer>;
  using Act = typename Net::root::template nth<0>::activation;
  TensorTable table = TensorTable::deterministic_for<Net>(seed);
  Harness<Net> harness(table);
  const auto input = testing::random_vector(In::size, seed + 1);
  const auto output = harness.run(input);

  const int padding = Options.padding < 0 ? (Kernel - 1) / 2 * Options.dilation : Options.padding;
  const std::string p = prefix_for(Options.norm);
  naive::Tensor expected = naive::conv2d(naive::from_floats(input.data(), In::height, In::width, In::channels),
                                         table[p + "weight"], Options.norm == Norm::bias ? table["0.bias"] : nullptr,
                                         Out, Kernel, Stride, padding, Options.dilation, Groups);
  if (Options.norm == Norm::batch) {
    naive::batch_norm(expected, table["0.1.weight"], table["0.1.bias"], table["0.1.running_mean"],
                      table["0.1.running_var"], pow10(Options.bn_eps_log10));
  }
  naive::apply(expected, naive::activation(std::string(Act::name)));

  INFO("layer " << Net::root::template nth<0>::kind << " " << Net::root::template nth<0>::description.view());
  REQUIRE(Net::output::height == expected.height);
  REQUIRE(Net::output::width == expected.width);
  REQUIRE(Net::output::channels == Out);
  CHECK(testing::relative_error(output, expected) < testing::tolerance);

  // PyTorch counts the convolution weight, its bias, and a BatchNorm's weight and bias.
  const std::uint64_t weights = std::uint64_t(Out) * (In::channels / Groups) * Kernel * Kernel;
  const std::uint64_t extra = Options.norm == Norm::batch ? 2 * Out : Options.norm == Norm::bias ? Out : 0;
  CHECK(Net::cost.params == weights + extra);
  CHECK(Net::cost.macs == Net::output::pixels * Out * (In::channels / Groups) * Kernel * Kernel);
  CHECK(Net::cost.activation_read_bytes == In::size * 4);
  CHECK(Net::cost.activation_write_bytes == Net::output::size * 4);
}

template <class In, int Out, int K, int S, class Act, ConvOptions O = ConvOptions{}>
void check_conv2d(std::uint32_t seed) {
  check_conv_layer<In, Conv2d<Out, K, S, Act, O>, Out, K, S, O.groups, O>(seed);
}
template <class In, int K, int S, class Act, ConvOptions O = ConvOptions{}>
void check_depthwise(std::uint32_t seed) {
  check_conv_layer<In, DepthwiseConv<K, S, Act, O>, In::channels, K, S, In::channels, O>(seed);
}
template <class In, int Out, class Act, ConvOptions O = ConvOptions{}>
void check_pointwise(std::uint32_t seed) {
  check_conv_layer<In, Pointwise<Out, Act, O>, Out, 1, 1, 1, O>(seed);
}

}  // namespace

TEST_CASE("Conv2d matches the oracle on odd shapes, strides, groups, padding and norms", "[layers][conv2d]") {
  check_conv2d<Shape<7, 5, 3>, 8, 3, 2, ReLU6>(1);                                             // stem-like, odd input
  check_conv2d<Shape<9, 9, 4>, 6, 5, 1, SiLU, ConvOptions{.groups = 2, .norm = Norm::bias}>(2);  // groups + bias
  check_conv2d<Shape<6, 11, 5>, 7, 1, 1, Identity, ConvOptions{.norm = Norm::none}>(3);
  check_conv2d<Shape<13, 7, 6>, 9, 7, 3, HardSwish, ConvOptions{.padding = 0}>(4);              // 7x7 on width 7
  check_conv2d<Shape<5, 5, 3>, 4, 3, 1, ReLU, ConvOptions{.padding = 2, .dilation = 2}>(5);
  check_conv2d<Shape<8, 8, 17>, 19, 3, 2, HardSigmoid, ConvOptions{.bn_eps_log10 = -3}>(6);     // eps 1e-3
  check_conv2d<Shape<1, 1, 3>, 5, 3, 1, Sigmoid>(7);                                           // 1x1 input, 3x3 kernel
  check_conv2d<Shape<12, 12, 6>, 6, 3, 1, ReLU, ConvOptions{.groups = 6}>(8);                  // depthwise via groups
}

TEST_CASE("DepthwiseConv matches the oracle for kernels 3/5/7 and strides 1/2", "[layers][depthwise]") {
  check_depthwise<Shape<7, 7, 13>, 3, 2, ReLU6>(11);
  check_depthwise<Shape<9, 6, 17>, 5, 1, SiLU>(12);
  check_depthwise<Shape<11, 9, 3>, 7, 2, HardSwish>(13);
  check_depthwise<Shape<1, 1, 5>, 3, 1, Identity>(14);
  check_depthwise<Shape<2, 3, 33>, 7, 2, ReLU>(15);
  check_depthwise<Shape<10, 10, 16>, 5, 2, ReLU6, ConvOptions{.norm = Norm::bias}>(16);
}

TEST_CASE("Pointwise matches the oracle", "[layers][pointwise]") {
  check_pointwise<Shape<5, 3, 17>, 33, ReLU6>(21);
  check_pointwise<Shape<1, 1, 1>, 1, Identity>(22);
  check_pointwise<Shape<4, 4, 16>, 5, HardSwish, ConvOptions{.norm = Norm::bias}>(23);
  check_pointwise<Shape<3, 7, 40>, 24, Identity, ConvOptions{.norm = Norm::none}>(24);
}

TEST_CASE("conv layers compute torchvision's output shapes", "[layers][shape]") {
  STATIC_REQUIRE(std::is_same_v<bind_t<Conv2d<32, 3, 2>, Shape<224, 224, 3>>::output, Shape<112, 112, 32>>);
  STATIC_REQUIRE(std::is_same_v<bind_t<Conv2d<32, 3, 2>, Shape<7, 7, 3>>::output, Shape<4, 4, 32>>);
  STATIC_REQUIRE(std::is_same_v<bind_t<DepthwiseConv<5, 2>, Shape<15, 15, 40>>::output, Shape<8, 8, 40>>);
  STATIC_REQUIRE(std::is_same_v<bind_t<Pointwise<24>, Shape<5, 9, 40>>::output, Shape<5, 9, 24>>);
  STATIC_REQUIRE(std::is_same_v<bind_t<Conv2d<8, 5, 1, Identity, ConvOptions{.padding = 0}>, Shape<5, 6, 2>>::output,
                                Shape<1, 2, 8>>);
}

TEST_CASE("conv layer weight storage: the HWIO matrix packed in panels, then the padded bias", "[layers][layout]") {
  using Layer = bind_t<Conv2d<3, 2, 1, Identity, ConvOptions{.norm = Norm::bias, .padding = 0}>, Shape<2, 2, 2>>;
  // PyTorch OIHW weight: value = 1000 o + 100 i + 10 y + x; bias = -o.
  std::vector<float> oihw(3 * 2 * 2 * 2), bias{0, -1, -2};
  for (int o = 0; o < 3; ++o)
    for (int i = 0; i < 2; ++i)
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x) oihw[((o * 2 + i) * 2 + y) * 2 + x] = float(1000 * o + 100 * i + 10 * y + x);
  std::vector<float> storage(Layer::weight_floats, -1.0f);
  const testing::FloatSources sources{oihw.data(), bias.data()};
  Layer::pack(sources.sources(), reinterpret_cast<std::byte*>(storage.data()));
  // 8 rows (y, x, i) x 3 output channels: one panel of 32 columns, 256 floats, then the bias.
  CHECK(Layer::bias_offset == 256);
  CHECK(Layer::weight_floats == 256 + 32);
  for (int o = 0; o < 3; ++o) {
    CHECK(storage[Layer::bias_offset + o] == -float(o));
    for (int i = 0; i < 2; ++i)
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x) CHECK(storage[((y * 2 + x) * 2 + i) * 32 + o] == float(1000 * o + 100 * i + 10 * y + x));
  }
}

TEST_CASE("fold_batch_norm on PyTorch-layout weights equals the convolution then the BatchNorm", "[layers][batchnorm]") {
  const int out = 5, in = 3, k = 3;
  auto weights = testing::random_vector(std::size_t(out) * in * k * k, 81);
  const auto input = testing::random_vector(7 * 6 * in, 82);
  const auto gamma = testing::random_vector(out, 83, 0.5f, 1.5f), beta = testing::random_vector(out, 84);
  const auto mean = testing::random_vector(out, 85), var = testing::random_vector(out, 86, 0.5f, 1.5f);
  naive::Tensor expected = naive::conv2d(naive::from_floats(input.data(), 7, 6, in), weights.data(), nullptr, out, k, 2, 1, 1, 1);
  naive::batch_norm(expected, gamma.data(), beta.data(), mean.data(), var.data(), 1e-5);
  std::vector<float> bias(out, 0.0f);
  fold_batch_norm(out, std::size_t(in) * k * k, weights.data(), bias.data(),
                  BatchNormTensors{gamma.data(), beta.data(), mean.data(), var.data()}, 1e-5);
  const naive::Tensor folded =
      naive::conv2d(naive::from_floats(input.data(), 7, 6, in), weights.data(), bias.data(), out, k, 2, 1, 1, 1);
  std::vector<float> folded_values(folded.values.begin(), folded.values.end());
  CHECK(testing::relative_error(folded_values, expected) < 1e-6);
}

TEST_CASE("BatchNorm folding: hand-computed", "[layers][batchnorm]") {
  // 1x1 convolution with weight 2 on x = 1.5 gives 3; BatchNorm(gamma 3, beta 0.5, mean 1, var 4):
  // (3 - 1) / sqrt(4 + 1e-5) * 3 + 0.5 = 3.49999...
  using Net = Network<Shape<1, 1, 1>, Pointwise<1>>;
  TensorTable table;
  table.add("0.0.weight", {1, 1, 1, 1}, {2.0f});
  table.add("0.1.weight", {1}, {3.0f});
  table.add("0.1.bias", {1}, {0.5f});
  table.add("0.1.running_mean", {1}, {1.0f});
  table.add("0.1.running_var", {1}, {4.0f});
  Harness<Net> harness(table);
  const auto out = harness.run({1.5f});
  CHECK(out[0] == Approx(2.0 / std::sqrt(4.0 + 1e-5) * 3.0 + 0.5).epsilon(1e-6));
}
