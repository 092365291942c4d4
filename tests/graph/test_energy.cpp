// The energy estimate (energy/estimate.hpp): the level rule at its boundaries, one layer's figure
// against the arithmetic written out, and a network's compile-time figure against its layers'.
#include <catch2/catch.hpp>

#include "joule/joule.hpp"
#include "joule/quant.hpp"

using namespace joule;
using energy::horowitz_45nm;
using energy::MemoryLevel;

namespace {
using Net = Network<Shape<8, 8, 3>, Conv2d<4, 3, 2, ReLU>,
                    Residual<Pointwise<4>, DepthwiseConv<3, 1, ReLU>>, GlobalAvgPool,
                    Named<"classifier", Linear<5>>>;

/// What the visitor's leaves add up to, each estimated as the command estimates it.
template <class N>
energy::Energy sum_of_leaves(const energy::EnergyTable& table) {
  energy::Energy sum;
  N::visit([&](const NodeInfo& node) {
    if (node.leaf) sum += energy::estimate(node.cost, node.input_dtype, N::weight_bytes, table);
  });
  return sum;
}
}  // namespace

TEST_CASE("a tensor lives in the smallest level that holds it whole", "[energy]") {
  const auto& t = horowitz_45nm;
  CHECK(energy::level_of(0, t) == MemoryLevel::l1);
  CHECK(energy::level_of(t.l1_bytes, t) == MemoryLevel::l1);
  CHECK(energy::level_of(t.l1_bytes + 1, t) == MemoryLevel::l2);
  CHECK(energy::level_of(t.l2_bytes, t) == MemoryLevel::l2);
  CHECK(energy::level_of(t.l2_bytes + 1, t) == MemoryLevel::llc);
  CHECK(energy::level_of(t.llc_bytes, t) == MemoryLevel::llc);
  CHECK(energy::level_of(t.llc_bytes + 1, t) == MemoryLevel::dram);
}

TEST_CASE("one layer: MACs by dtype, weights where the network's fit, activations by size",
          "[energy]") {
  const Cost cost{.params = 0,
                  .macs = 1000,
                  .weight_bytes = 400,
                  .activation_read_bytes = 100,
                  .activation_write_bytes = 2'000'000,
                  .elementwise = {.adds = 10, .multiplies = 2}};
  const energy::Energy f32 = energy::estimate(cost, DType::f32, 40'000'000, horowitz_45nm);
  CHECK(f32.compute_pj == Approx(1000 * 4.6 + 10 * 0.9 + 2 * 3.7));
  CHECK(f32.weights_pj == Approx(400 * 1950.0 / 8));                      // 40 MB: DRAM
  CHECK(f32.activations_pj == Approx(100 * 20.0 / 8 + 2e6 * 100.0 / 8));  // L1, then LLC
  CHECK(f32.total_pj() == Approx(f32.compute_pj + f32.weights_pj + f32.activations_pj));
  CHECK(f32.total_uj() == Approx(f32.total_pj() * 1e-6));

  const energy::Energy i8 = energy::estimate(cost, DType::i8, 400, horowitz_45nm);
  CHECK(i8.compute_pj == Approx(1000 * 0.3 + 10 * 0.9 + 2 * 3.7));
  CHECK(i8.weights_pj == Approx(400 * 20.0 / 8));  // the network's 400 bytes stay in L1
  CHECK(energy::estimate(cost, DType::u8, 400, horowitz_45nm).compute_pj == i8.compute_pj);
}

TEST_CASE("a network's energy is known at compile time and is the sum of its layers'", "[energy]") {
  constexpr energy::Energy e = Net::energy();
  static_assert(e.compute_pj > 0 && e.weights_pj > 0 && e.activations_pj > 0);
  CHECK(e.compute_pj ==
        Approx(static_cast<double>(Net::cost.macs) * horowitz_45nm.fp32_mac_pj +
               static_cast<double>(Net::cost.elementwise.adds) * horowitz_45nm.fp32_add_pj +
               static_cast<double>(Net::cost.elementwise.multiplies) * horowitz_45nm.fp32_mul_pj));
  static_assert(e.total_uj() < 1.0, "a budget, as an application would write one");
  const energy::Energy leaves = sum_of_leaves<Net>(horowitz_45nm);
  CHECK(e.compute_pj == Approx(leaves.compute_pj));
  CHECK(e.weights_pj == Approx(leaves.weights_pj));
  CHECK(e.activations_pj == Approx(leaves.activations_pj));
  CHECK(e.weights_pj > 0);
  CHECK(e.activations_pj > 0);

  // Another table gives other figures: free memory leaves only the arithmetic.
  energy::EnergyTable compute_only = horowitz_45nm;
  compute_only.l1_byte_pj = compute_only.l2_byte_pj = 0;
  compute_only.llc_byte_pj = compute_only.dram_byte_pj = 0;
  CHECK(Net::energy(compute_only).total_pj() == Approx(e.compute_pj));
}

TEST_CASE("the same network in int8 spends the int8 MAC and fewer bytes", "[energy]") {
  using Q = quant::Quantized<Net>;
  constexpr energy::Energy f32 = Net::energy();
  constexpr energy::Energy i8 = Q::energy();
  CHECK(i8.compute_pj ==
        Approx(static_cast<double>(Q::cost.macs) * horowitz_45nm.int8_mac_pj +
               static_cast<double>(Q::cost.elementwise.adds) * horowitz_45nm.fp32_add_pj +
               static_cast<double>(Q::cost.elementwise.multiplies) * horowitz_45nm.fp32_mul_pj));
  CHECK(Q::cost.macs == Net::cost.macs);
  CHECK(i8.total_pj() < f32.total_pj());
  CHECK(i8.activations_pj < f32.activations_pj);
  const energy::Energy leaves = sum_of_leaves<Q>(horowitz_45nm);
  CHECK(i8.total_pj() == Approx(leaves.total_pj()));
}

TEST_CASE("element-wise work: bias, activation, pooling; in int8 requantization and the edges",
          "[energy]") {
  using Small = Network<Shape<4, 4, 8>, Conv2d<8, 3, 1, ReLU6>, GlobalAvgPool, Linear<3>>;
  // float32: the convolution's 128 outputs each take a bias add and ReLU6's two clamps; the pool
  // adds its 128 inputs and scales 8 sums; the linear layer adds 3 biases.
  STATIC_REQUIRE(Small::cost.elementwise ==
                 ElementwiseOps{.adds = 128 * 3 + 128 + 3, .multiplies = 8});
  // int8: each output requantized (the bias add, 7 adds, a multiply; ReLU6 is the clamp), the
  // pool's sums and requantized means, the float input quantized (6 adds, a multiply) and the
  // logits dequantized (2 adds, a multiply).
  using Q = quant::Quantized<Small>;
  STATIC_REQUIRE(Q::cost.elementwise ==
                 ElementwiseOps{.adds = 128 * 8 + (128 + 8 * 7) + 3 * 8 + 128 * 6 + 3 * 2,
                                .multiplies = 128 + 8 + 3 + 128 + 3});
  // A table activation adds its read to each output.
  using Table = quant::Quantized<Network<Shape<4, 4, 8>, Conv2d<8, 3, 1, HardSwish>>>;
  STATIC_REQUIRE(Table::cost.elementwise.adds == 128 * 9 + 128 * 6 + 128 * 2);
}
