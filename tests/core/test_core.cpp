// Core types: Text, Status, Result, Shape, Cost, make_divisible.
#include <catch2/catch.hpp>

#include <string>

#include "joule/core/cost.hpp"
#include "joule/core/make_divisible.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/status.hpp"
#include "joule/core/text.hpp"

using namespace joule;

TEST_CASE("Text appends numbers, groups digits and remembers truncation", "[core][text]") {
  Text<32> text;
  text.append("n=").append(-42).append(' ').append(std::uint64_t{0}).append(' ');
  text.append_grouped(1234567).append(' ').append_grouped(999);
  CHECK(text.view() == "n=-42 0 1,234,567 999");
  CHECK_FALSE(text.truncated());

  Text<4> small;
  small.append("abcdef");
  CHECK(small.view() == "abcd");
  CHECK(small.truncated());

  constexpr auto built = [] {
    Text<16> t;
    t.append(3).append('x').append(3);
    return t;
  }();
  STATIC_REQUIRE(built.view() == "3x3");
  Text<8> min;
  min.append(std::int64_t{-9223372036854775807 - 1});
  CHECK(min.truncated());  // 20 characters do not fit in 8
}

TEST_CASE("Status carries a code and a message; Result a value or a status", "[core][status]") {
  constexpr Status ok;
  STATIC_REQUIRE(ok.ok());
  Status error = Status::error(ErrorCode::shape_mismatch, "tensor 'x': ");
  error.append("expected ").append(3);
  CHECK_FALSE(error.ok());
  CHECK(error.code() == ErrorCode::shape_mismatch);
  CHECK(error.message() == "tensor 'x': expected 3");
  CHECK(to_string(ErrorCode::not_found) == "not found");

  Result<int> value(7);
  REQUIRE(value.ok());
  CHECK(*value == 7);
  Result<int> failed(Status::error(ErrorCode::io_error, "cannot open"));
  CHECK_FALSE(failed.ok());
  CHECK(failed.status().message() == "cannot open");
}

TEST_CASE("Shape and Cost", "[core]") {
  using S = Shape<7, 5, 3>;
  STATIC_REQUIRE(S::size == 105);
  STATIC_REQUIRE(S::pixels == 35);
  STATIC_REQUIRE(extent_of<S> == Extent{7, 5, 3});
  STATIC_REQUIRE(ShapeType<S>);
  STATIC_REQUIRE(!ShapeType<int>);
  constexpr Cost a{1, 2, 3, 4, 5};
  constexpr Cost b{10, 20, 30, 40, 50};
  STATIC_REQUIRE(a + b == Cost{11, 22, 33, 44, 55});
}

TEST_CASE("make_divisible follows torchvision's _make_divisible", "[core]") {
  // Values computed with torchvision.models._utils._make_divisible.
  STATIC_REQUIRE(make_divisible(32 * 0.75, 8) == 24);
  STATIC_REQUIRE(make_divisible(16 * 0.5, 8) == 8);
  STATIC_REQUIRE(make_divisible(3, 8) == 8);       // never below the divisor
  STATIC_REQUIRE(make_divisible(92, 8) == 96);     // nearest multiple, rounding half up
  STATIC_REQUIRE(make_divisible(36, 8) == 40);
  STATIC_REQUIRE(make_divisible(20, 8) == 24);     // 16 would lose more than 10%
  STATIC_REQUIRE(make_divisible(1280 * 1.4, 8) == 1792);
}
