// The comparison helper itself: a NaN or an infinity where the oracle has none fails, so that a
// kernel writing NaN everywhere cannot pass a test.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "harness.hpp"

TEST_CASE("relative_error: NaN and infinities in the output are failures, not ignored",
          "[support]") {
  constexpr float nan = std::numeric_limits<float>::quiet_NaN();
  constexpr float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> expected = {1.0f, -2.0f, 4.0f};
  CHECK(testing::relative_error(std::vector<float>{1.0f, -2.0f, 4.0f}, expected) == 0.0);
  CHECK(testing::relative_error(std::vector<float>{1.0f, -2.0f, 5.0f}, expected) == Approx(0.25));
  for (float bad : {nan, inf, -inf}) {
    INFO("bad value " << bad);
    const std::vector<float> all_bad(expected.size(), bad);
    CHECK_FALSE(testing::relative_error(all_bad, expected) <= testing::tolerance);
    CHECK_FALSE(testing::relative_error(std::vector<float>{1.0f, bad, 4.0f}, expected) <=
                testing::tolerance);
    CHECK(std::isinf(testing::relative_error(std::vector<float>{1.0f, -2.0f, bad}, expected)));
    // An oracle value the output lacks is a failure too.
    CHECK(std::isinf(testing::relative_error(expected, std::vector<float>{1.0f, -2.0f, bad})));
  }
  // Where the oracle itself has NaN or an infinity, the same value matches.
  CHECK(testing::relative_error(std::vector<float>{nan, inf, -inf},
                                std::vector<float>{nan, inf, -inf}) == 0.0);
  CHECK(std::isinf(testing::relative_error(std::vector<float>{-inf}, std::vector<float>{inf})));
  naive::Tensor tensor;
  tensor.values = {0.5, 1.5};
  CHECK(std::isinf(testing::relative_error(std::vector<float>{0.5f, nan}, tensor)));
  CHECK(testing::relative_error(std::vector<float>{0.5f, 1.5f}, tensor) == 0.0);
}
