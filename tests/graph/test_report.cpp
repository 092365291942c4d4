// The per-layer report: one row per layer with path, type, shapes and costs, then the totals.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "joule/joule.hpp"

using namespace joule;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

TEST_CASE("report lists every layer and the totals", "[graph][report]") {
  using Net = Network<Shape<8, 8, 3>, Conv2d<4, 3, 2, ReLU>,
                      Residual<Pointwise<4>, DepthwiseConv<3, 1, ReLU>>, GlobalAvgPool,
                      Named<"classifier", Linear<5>>>;
  std::vector<std::string> lines;
  write_report<Net>([&](std::string_view line) { lines.emplace_back(line); });
  REQUIRE(lines.size() == 1 + 6 + 1);
  CHECK_THAT(lines[0],
             StartsWith("name") && Contains("kernel") && Contains("params") && Contains("MACs"));
  CHECK_THAT(lines[1], StartsWith("0 ") && Contains("Conv2d 3x3 s2 BN ReLU") &&
                           Contains("f32_conv_") && Contains("8x8x3") && Contains("4x4x4") &&
                           Contains("116") && Contains("1,728"));
  CHECK_THAT(lines[2], StartsWith("1.0 ") && Contains("Pointwise"));
  CHECK_THAT(lines[4], StartsWith("1 ") && Contains("Add"));
  CHECK_THAT(lines[6], StartsWith("classifier ") && Contains("Linear 4 -> 5"));
  CHECK_THAT(lines[7], StartsWith("total: 209 params, 2,580 MACs") &&
                           Contains("1,024 arena bytes") && Contains("input 8x8x3, output 1x1x5"));
}

TEST_CASE("report gives each layer's estimated energy, its share, and the total",
          "[graph][report][energy]") {
  using Net =
      Network<Shape<8, 8, 3>, Conv2d<4, 3, 2, ReLU>, GlobalAvgPool, Named<"classifier", Linear<5>>>;
  std::vector<std::string> lines;
  write_report<Net>([&](std::string_view line) { lines.emplace_back(line); });
  REQUIRE(lines.size() == 1 + 3 + 1);
  CHECK_THAT(lines[0], EndsWith("energy pJ   share"));
  // The stem, written out: MACs at the float32 MAC, each of its 64 outputs' bias add and ReLU at
  // the float add, every byte it moves in L1 (the whole network is a few KB).
  Cost stem;
  Net::visit([&](const NodeInfo& node) {
    if (node.path == "0") stem = node.cost;
  });
  REQUIRE(stem.macs == 1728);
  REQUIRE(stem.elementwise == ElementwiseOps{.adds = 64 * 2});
  const double stem_pj =
      1728 * 4.6 + 64 * 2 * 0.9 +
      double(stem.weight_bytes + stem.activation_read_bytes + stem.activation_write_bytes) * 2.5;
  const double total = Net::energy().total_pj();
  // Built with Text, as the report builds them.
  Text<64> stem_column;
  stem_column.append(' ').append_grouped(static_cast<std::uint64_t>(stem_pj + 0.5)).append(' ');
  CHECK_THAT(lines[1], Contains(std::string(stem_column.view())));
  const auto tenths = static_cast<int>(1000.0 * stem_pj / total + 0.5);
  Text<64> share;
  share.append(' ').append(tenths / 10).append('.').append(tenths % 10).append('%');
  CHECK_THAT(lines[1], EndsWith(std::string(share.view())));
  REQUIRE(total > 1e3);
  REQUIRE(total < 1e6);
  const auto total_tenths = static_cast<int>(total / 100.0 + 0.5);  // nJ, one decimal
  Text<64> estimated;
  estimated.append(", estimated ").append(total_tenths / 10).append('.').append(total_tenths % 10);
  estimated.append(" nJ");
  CHECK_THAT(lines[4], EndsWith(std::string(estimated.view())));
}
