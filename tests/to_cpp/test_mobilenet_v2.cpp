// torchvision's MobileNetV2 through tools/to_cpp.py: the zoo's costs, PyTorch's output.
#include <catch2/catch.hpp>

#include "generated_parity.hpp"
#include "joule/models/mobilenet_v2.hpp"
#include "mobilenet_v2.hpp"

using Zoo = joule::models::MobileNetV2<>;
static_assert(testing::same_costs<MobileNetV2FromTorch, Zoo>(),
              "the type to_cpp.py wrote for torchvision's MobileNetV2 costs differ from the zoo's");

TEST_CASE("to_cpp.py's MobileNetV2 costs what the zoo's does", "[to_cpp]") {
  // Also at run time, so that a failure prints the numbers.
  CHECK(MobileNetV2FromTorch::cost.params == Zoo::cost.params);
  CHECK(MobileNetV2FromTorch::cost.macs == Zoo::cost.macs);
  CHECK(MobileNetV2FromTorch::weight_bytes == Zoo::weight_bytes);
  CHECK(MobileNetV2FromTorch::arena_bytes == Zoo::arena_bytes);
}

TEST_CASE("to_cpp.py's MobileNetV2 gives PyTorch's output", "[to_cpp][parity]") {
  testing::check_generated_parity<MobileNetV2FromTorch>("mobilenet_v2");
}
