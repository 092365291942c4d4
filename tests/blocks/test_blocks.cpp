// The blocks against the naive oracle, layer by layer under their torchvision names:
// InvertedResidual (MobileNetV2/V3, EfficientNet MBConv), FusedMBConv and DepthwiseSeparable,
// with and without expansion, squeeze-excite and residual.
#include <catch2/catch.hpp>

#include <string>

#include "../support/harness.hpp"
#include "joule/joule.hpp"

using namespace joule;
using testing::Harness;
using testing::TensorTable;

namespace {

/// Conv2dNormActivation under `prefix`: conv "prefix.0", BatchNorm "prefix.1", activation.
struct OracleChain {
  TensorTable& table;
  double eps = 1e-5;
  std::uint64_t params = 0;

  naive::Tensor conv_bn_act(const naive::Tensor& in, const std::string& prefix, int out, int kernel, int stride,
                            int groups, const std::string& act) {
    naive::Tensor t = naive::conv2d(in, table[prefix + ".0.weight"], nullptr, out, kernel, stride, (kernel - 1) / 2, 1,
                                    groups);
    naive::batch_norm(t, table[prefix + ".1.weight"], table[prefix + ".1.bias"], table[prefix + ".1.running_mean"],
                      table[prefix + ".1.running_var"], eps);
    naive::apply(t, naive::activation(act));
    params += std::uint64_t(out) * (in.channels / groups) * kernel * kernel + 2 * out;
    return t;
  }
  naive::Tensor se(const naive::Tensor& in, const std::string& prefix, int squeezed, const std::string& act,
                   const std::string& gate) {
    params += 2 * std::uint64_t(in.channels) * squeezed + squeezed + in.channels;
    return naive::squeeze_excite(in, table[prefix + ".fc1.weight"], table[prefix + ".fc1.bias"],
                                 table[prefix + ".fc2.weight"], table[prefix + ".fc2.bias"], squeezed,
                                 naive::activation(act), naive::activation(gate));
  }
};

template <class Net, class Oracle>
void check_block(std::uint32_t seed, double eps, Oracle&& oracle) {
  TensorTable table = TensorTable::deterministic_for<Net>(seed);
  Harness<Net> harness(table);
  const auto input = testing::random_vector(Net::input::size, seed + 1);
  OracleChain chain{table, eps};
  const naive::Tensor x =
      naive::from_floats(input.data(), Net::input::height, Net::input::width, Net::input::channels);
  const naive::Tensor expected = oracle(chain, x);
  REQUIRE(expected.height == Net::output::height);
  REQUIRE(expected.width == Net::output::width);
  REQUIRE(expected.channels == Net::output::channels);
  CHECK(testing::relative_error(harness.run(input), expected) < testing::tolerance);
  CHECK(Net::cost.params == chain.params);
  // Every tensor the table holds was asked for: the names are exactly torchvision's.
  CHECK(table.looked_up().size() == table.names().size());
}

}  // namespace

TEST_CASE("InvertedResidual with expansion, SE and residual (MobileNetV3 style)", "[blocks][mbconv]") {
  using Net = Network<Shape<9, 7, 16>, InvertedResidual<16, 6, 3, 1, SqueezeExcite<4>, HardSwish>>;
  check_block<Net>(101, 1e-5, [](OracleChain& c, const naive::Tensor& x) {
    naive::Tensor t = c.conv_bn_act(x, "0.block.0", 96, 1, 1, 1, "HardSwish");
    t = c.conv_bn_act(t, "0.block.1", 96, 3, 1, 96, "HardSwish");
    t = c.se(t, "0.block.2", 24, "ReLU", "Sigmoid");
    t = c.conv_bn_act(t, "0.block.3", 16, 1, 1, 1, "Identity");
    return naive::add(t, x);
  });
}

TEST_CASE("InvertedResidual without expansion, stride 2 on odd input: no residual", "[blocks][mbconv]") {
  using Net = Network<Shape<11, 9, 24>, InvertedResidual<24, 1, 5, 2>>;
  STATIC_REQUIRE(std::is_same_v<Net::output, Shape<6, 5, 24>>);
  check_block<Net>(102, 1e-5, [](OracleChain& c, const naive::Tensor& x) {
    naive::Tensor t = c.conv_bn_act(x, "0.block.0", 24, 5, 2, 24, "ReLU6");
    return c.conv_bn_act(t, "0.block.1", 24, 1, 1, 1, "Identity");
  });
}

TEST_CASE("InvertedResidual with explicit hidden channels and MobileNetV3's SE", "[blocks][mbconv]") {
  using SE = SqueezeExcite<SqueezeSpec{.divisor = 4, .round_to = 8}, ReLU, HardSigmoid>;
  using Net = Network<Shape<6, 6, 24>, InvertedResidual<32, ExpandTo{72}, 5, 1, SE, ReLU, BlockOptions{-3}>>;
  check_block<Net>(103, 1e-3, [](OracleChain& c, const naive::Tensor& x) {
    naive::Tensor t = c.conv_bn_act(x, "0.block.0", 72, 1, 1, 1, "ReLU");
    t = c.conv_bn_act(t, "0.block.1", 72, 5, 1, 72, "ReLU");
    t = c.se(t, "0.block.2", 24, "ReLU", "HardSigmoid");
    return c.conv_bn_act(t, "0.block.3", 32, 1, 1, 1, "Identity");  // 24 -> 32: no residual
  });
}

TEST_CASE("EfficientNet's MBConv: SE squeezed from the block input, SiLU", "[blocks][mbconv]") {
  using SE = SqueezeExcite<SqueezeSpec{.divisor = 4, .of_block_input = true}, SiLU, Sigmoid>;
  using Net = Network<Shape<5, 5, 16>, MBConv<16, 6, 5, 1, SE, SiLU>>;
  check_block<Net>(104, 1e-5, [](OracleChain& c, const naive::Tensor& x) {
    naive::Tensor t = c.conv_bn_act(x, "0.block.0", 96, 1, 1, 1, "SiLU");
    t = c.conv_bn_act(t, "0.block.1", 96, 5, 1, 96, "SiLU");
    t = c.se(t, "0.block.2", 4, "SiLU", "Sigmoid");  // 16 / 4, not 96 / 4
    t = c.conv_bn_act(t, "0.block.3", 16, 1, 1, 1, "Identity");
    return naive::add(t, x);
  });
}

TEST_CASE("FusedMBConv with expansion and residual", "[blocks][fused]") {
  using Net = Network<Shape<7, 7, 24>, FusedMBConv<24, 4, 3, 1>>;
  check_block<Net>(105, 1e-5, [](OracleChain& c, const naive::Tensor& x) {
    naive::Tensor t = c.conv_bn_act(x, "0.block.0", 96, 3, 1, 1, "SiLU");
    t = c.conv_bn_act(t, "0.block.1", 24, 1, 1, 1, "Identity");
    return naive::add(t, x);
  });
}

TEST_CASE("FusedMBConv without expansion, stride 2", "[blocks][fused]") {
  using Net = Network<Shape<9, 9, 16>, FusedMBConv<32, 1, 3, 2>>;
  check_block<Net>(106, 1e-5, [](OracleChain& c, const naive::Tensor& x) {
    return c.conv_bn_act(x, "0.block.0", 32, 3, 2, 1, "SiLU");
  });
}

TEST_CASE("DepthwiseSeparable (MobileNetV1)", "[blocks][separable]") {
  using Net = Network<Shape<9, 9, 16>, DepthwiseSeparable<32, 3, 2>>;
  check_block<Net>(107, 1e-5, [](OracleChain& c, const naive::Tensor& x) {
    naive::Tensor t = c.conv_bn_act(x, "0.0", 16, 3, 2, 16, "ReLU");
    return c.conv_bn_act(t, "0.1", 32, 1, 1, 1, "ReLU");
  });
}

TEST_CASE("blocks in a chain: shapes flow from block to block", "[blocks][composition]") {
  using Net = Network<Shape<32, 32, 3>, Conv2d<16, 3, 2, ReLU6>, InvertedResidual<16, 1, 3, 1>,
                      InvertedResidual<24, 6, 3, 2>, InvertedResidual<24, 6, 3, 1>, FusedMBConv<40, 4, 3, 2>,
                      DepthwiseSeparable<64, 5, 2>, GlobalAvgPool, Linear<10>>;
  using R = Net::root;
  STATIC_REQUIRE(std::is_same_v<R::nth<0>::output, Shape<16, 16, 16>>);
  STATIC_REQUIRE(std::is_same_v<R::nth<2>::output, Shape<8, 8, 24>>);
  STATIC_REQUIRE(std::is_same_v<R::nth<4>::output, Shape<4, 4, 40>>);
  STATIC_REQUIRE(std::is_same_v<R::nth<5>::output, Shape<2, 2, 64>>);
  STATIC_REQUIRE(std::is_same_v<Net::output, Shape<1, 1, 10>>);
  STATIC_REQUIRE(R::nth<1>::kind == std::string_view("InvertedResidual"));
}

TEST_CASE("fused and unfused inverted residuals give the same bits, the fused one in a smaller arena",
          "[blocks][fused]") {
  constexpr BlockOptions unfused{.fused = false};
  using SE = SqueezeExcite<SqueezeSpec{.divisor = 4, .of_block_input = true}, SiLU, Sigmoid>;
  using Fused = Network<Shape<29, 27, 16>, InvertedResidual<16, 6, 3, 1>, InvertedResidual<24, 6, 5, 2, SE, SiLU>,
                        InvertedResidual<24, 4, 3, 1, SE, SiLU>, InvertedResidual<32, 1, 3, 1>>;
  using Unfused = Network<Shape<29, 27, 16>, InvertedResidual<16, 6, 3, 1, NoSqueezeExcite, ReLU6, unfused>,
                          InvertedResidual<24, 6, 5, 2, SE, SiLU, unfused>, InvertedResidual<24, 4, 3, 1, SE, SiLU, unfused>,
                          InvertedResidual<32, 1, 3, 1, NoSqueezeExcite, ReLU6, unfused>>;
  // Same tensors under the same names, same costs by PyTorch's count.
  TensorTable table = TensorTable::deterministic_for<Fused>(601);
  TensorTable same = TensorTable::deterministic_for<Unfused>(601);
  CHECK(table.names() == same.names());
  STATIC_REQUIRE(Fused::cost.params == Unfused::cost.params);
  STATIC_REQUIRE(Fused::cost.macs == Unfused::cost.macs);
  // The expanded tensors no longer pass through the arena or memory.
  STATIC_REQUIRE(Fused::arena_bytes < Unfused::arena_bytes);
  STATIC_REQUIRE(Fused::cost.activation_read_bytes < Unfused::cost.activation_read_bytes);

  Harness<Fused> fused(table);
  Harness<Unfused> apart(same);
  const auto input = testing::random_vector(Fused::input::size, 602);
  CHECK(fused.run(input) == apart.run(input));
}
