// The per-layer report: one row per layer with path, type, shapes and costs, then the totals.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "joule/joule.hpp"

using namespace joule;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("report lists every layer and the totals", "[graph][report]") {
  using Net = Network<Shape<8, 8, 3>, Conv2d<4, 3, 2, ReLU>, Residual<Pointwise<4>, DepthwiseConv<3, 1, ReLU>>,
                      GlobalAvgPool, Named<"classifier", Linear<5>>>;
  std::vector<std::string> lines;
  write_report<Net>([&](std::string_view line) { lines.emplace_back(line); });
  REQUIRE(lines.size() == 1 + 6 + 1);
  CHECK_THAT(lines[0], StartsWith("name") && Contains("kernel") && Contains("params") && Contains("MACs"));
  CHECK_THAT(lines[1], StartsWith("0 ") && Contains("Conv2d 3x3 s2 BN ReLU") && Contains("f32_conv_") &&
                           Contains("8x8x3") && Contains("4x4x4") && Contains("116") && Contains("1,728"));
  CHECK_THAT(lines[2], StartsWith("1.0 ") && Contains("Pointwise"));
  CHECK_THAT(lines[4], StartsWith("1 ") && Contains("Add"));
  CHECK_THAT(lines[6], StartsWith("classifier ") && Contains("Linear 4 -> 5"));
  CHECK_THAT(lines[7], StartsWith("total: 209 params, 2,580 MACs") && Contains("1,024 arena bytes") &&
                           Contains("input 8x8x3, output 1x1x5"));
}
