// Composition: shapes flow at compile time, costs of a small network computed by hand, names
// follow nn.Sequential's indices unless Named / PartNames say otherwise.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "../support/harness.hpp"
#include "joule/joule.hpp"

using namespace joule;
using testing::Harness;
using testing::TensorTable;

namespace {

using SmallNet = Network<Shape<8, 8, 3>, Conv2d<4, 3, 2, ReLU>, Residual<Pointwise<4>, DepthwiseConv<3, 1, ReLU>>,
                         GlobalAvgPool, Linear<5>>;

template <class Net>
std::vector<std::string> tensor_names() {
  std::vector<std::string> names;
  Net::visit([&](const NodeInfo& node) {
    for (const TensorSpec& spec : node.tensors)
      names.emplace_back(tensor_name(node.path, node.part_names[spec.part], spec.name).view());
  });
  return names;
}

}  // namespace

TEST_CASE("costs of a small network, by hand", "[graph][cost]") {
  // Conv2d 3->4, 3x3 s2 on 8x8: out 4x4; params 4*3*9 + BN 8 = 116; MACs 16 * 4 * 27 = 1728.
  // Pointwise 4->4: 16 + 8 = 24 params, 16 * 16 = 256 MACs.
  // Depthwise 3x3 on 4 channels: 36 + 8 = 44 params, 16 * 4 * 9 = 576 MACs.
  // Linear 4->5: 25 params, 20 MACs.
  STATIC_REQUIRE(SmallNet::cost.params == 116 + 24 + 44 + 25);
  STATIC_REQUIRE(SmallNet::cost.macs == 1728 + 256 + 576 + 20);
  // Folded weights: conv 108 + 4 bias, pointwise 16 + 4, depthwise 36 + 4, linear 20 + 5 floats.
  STATIC_REQUIRE(SmallNet::cost.weight_bytes == (112 + 20 + 40 + 25) * 4);
  // Activations written: 64 + 64 + 64 + add 64 + pool 4 + linear 5 floats.
  STATIC_REQUIRE(SmallNet::cost.activation_write_bytes == (64 * 4 + 4 + 5) * 4);
  // Read: conv 192, pointwise 64, depthwise 64, add 128, pool 64, linear 4 floats.
  STATIC_REQUIRE(SmallNet::cost.activation_read_bytes == (192 + 64 + 64 + 128 + 64 + 4) * 4);
}

TEST_CASE("shape flow through nested containers", "[graph][shape]") {
  using Net = Network<Shape<15, 13, 3>, Sequential<Conv2d<8, 3, 2>, Sequential<DepthwiseConv<5, 2>, Pointwise<12>>>,
                      Residual<Pointwise<24>, Pointwise<12>>, GlobalAvgPool>;
  STATIC_REQUIRE(std::is_same_v<Net::root::nth<0>::output, Shape<4, 4, 12>>);
  STATIC_REQUIRE(std::is_same_v<Net::root::nth<1>::output, Shape<4, 4, 12>>);
  STATIC_REQUIRE(std::is_same_v<Net::output, Shape<1, 1, 12>>);
}

TEST_CASE("tensor names: nn.Sequential indices by default", "[graph][names]") {
  CHECK(tensor_names<SmallNet>() ==
        std::vector<std::string>{"0.0.weight", "0.1.weight", "0.1.bias", "0.1.running_mean", "0.1.running_var",
                                 "1.0.0.weight", "1.0.1.weight", "1.0.1.bias", "1.0.1.running_mean",
                                 "1.0.1.running_var", "1.1.0.weight", "1.1.1.weight", "1.1.1.bias",
                                 "1.1.1.running_mean", "1.1.1.running_var", "3.weight", "3.bias"});
}

TEST_CASE("tensor names: Named and PartNames give torchvision's names", "[graph][names]") {
  // MobileNetV2-style: features.0 is a Conv2dNormActivation; the projection keeps conv and
  // BatchNorm as siblings conv.2 / conv.3; the classifier's Linear is classifier.1.
  using Net = Network<Shape<8, 8, 3>,
                      Named<"features", Sequential<Conv2d<8, 3, 2>,
                                                   Named<"conv", Sequential<DepthwiseConv<3>,
                                                                            Named<"", PartNames<Pointwise<4>, "1", "2">>>>>>,
                      Named<"avgpool", GlobalAvgPool>, Named<"classifier.1", Linear<3>>>;
  CHECK(tensor_names<Net>() ==
        std::vector<std::string>{"features.0.0.weight", "features.0.1.weight", "features.0.1.bias",
                                 "features.0.1.running_mean", "features.0.1.running_var",
                                 "features.conv.0.0.weight", "features.conv.0.1.weight", "features.conv.0.1.bias",
                                 "features.conv.0.1.running_mean", "features.conv.0.1.running_var",
                                 "features.conv.1.weight", "features.conv.2.weight", "features.conv.2.bias",
                                 "features.conv.2.running_mean", "features.conv.2.running_var",
                                 "classifier.1.weight", "classifier.1.bias"});
}

TEST_CASE("visit reports every node with its path, kind, shapes and cost", "[graph][visit]") {
  std::vector<std::string> rows;
  std::uint64_t leaf_params = 0;
  std::uint64_t leaf_macs = 0;
  SmallNet::visit([&](const NodeInfo& node) {
    rows.push_back(std::string(node.path) + " " + std::string(node.kind) + (node.leaf ? "" : " (container)"));
    if (node.leaf) {
      leaf_params += node.cost.params;
      leaf_macs += node.cost.macs;
    }
  });
  CHECK(rows == std::vector<std::string>{"0 Conv2d", "1 Residual (container)", "1.0 Pointwise", "1.1 DepthwiseConv",
                                         "1 Add", "2 GlobalAvgPool", "3 Linear"});
  CHECK(leaf_params == SmallNet::cost.params);
  CHECK(leaf_macs == SmallNet::cost.macs);
}

TEST_CASE("weight offsets: every layer's slice is aligned and the slices do not overlap", "[graph][weights]") {
  std::size_t end = 0;
  SmallNet::visit([&](const NodeInfo& node) {
    if (!node.leaf || node.weight_bytes == 0) return;
    CHECK(node.weight_offset % tensor_alignment == 0);
    CHECK(node.weight_offset >= end);
    end = node.weight_offset + node.weight_bytes;
  });
  CHECK(end <= SmallNet::weight_bytes);
}

TEST_CASE("a network equals its layers run one after the other", "[graph][composition]") {
  // Network<A, B> with the same weights as Network<A> followed by Network<B>.
  using In = Shape<7, 6, 5>;
  using First = Network<In, Conv2d<9, 3, 2, HardSwish>>;
  using Second = Network<First::output, InvertedResidual<9, 3, 5, 1, SqueezeExcite<4>, SiLU>>;
  using Both = Network<In, Conv2d<9, 3, 2, HardSwish>, InvertedResidual<9, 3, 5, 1, SqueezeExcite<4>, SiLU>>;
  TensorTable both_table = TensorTable::deterministic_for<Both>(301);
  TensorTable first_table, second_table;
  for (const std::string& name : both_table.names()) {
    const auto* data = both_table.find(name);
    std::vector<std::int64_t> dims(data->dims.begin(), data->dims.begin() + data->rank);
    if (name.rfind("0.", 0) == 0) first_table.add(name, dims, both_table.values(name));
    else second_table.add("0." + name.substr(2), dims, both_table.values(name));
  }
  const auto input = testing::random_vector(In::size, 302);
  Harness<First> first(first_table);
  Harness<Second> second(second_table);
  Harness<Both> both(both_table);
  CHECK(both.run(input) == second.run(first.run(input)));
}
