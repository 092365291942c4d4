// torchvision's EfficientNet-B0 through tools/to_cpp.py: the zoo's costs, PyTorch's output.
#include <catch2/catch.hpp>

#include "efficientnet_b0.hpp"
#include "generated_parity.hpp"
#include "joule/models/efficientnet.hpp"

using Zoo = joule::models::EfficientNet<joule::models::efficientnet_b0>;
static_assert(
    testing::same_costs<EfficientNetB0FromTorch, Zoo>(),
    "the type to_cpp.py wrote for torchvision's EfficientNet-B0 costs differ from the zoo's");

TEST_CASE("to_cpp.py's EfficientNet-B0 costs what the zoo's does", "[to_cpp]") {
  // Also at run time, so that a failure prints the numbers.
  CHECK(EfficientNetB0FromTorch::cost.params == Zoo::cost.params);
  CHECK(EfficientNetB0FromTorch::cost.macs == Zoo::cost.macs);
  CHECK(EfficientNetB0FromTorch::weight_bytes == Zoo::weight_bytes);
  CHECK(EfficientNetB0FromTorch::arena_bytes == Zoo::arena_bytes);
}

TEST_CASE("to_cpp.py's EfficientNet-B0 gives PyTorch's output", "[to_cpp][parity]") {
  testing::check_generated_parity<EfficientNetB0FromTorch>("efficientnet_b0");
}
