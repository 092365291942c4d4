// float16 and bfloat16 to float32: known bit patterns, and every one of the 65536 float16 values
// against an independent decoding in double arithmetic.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "joule/io/half.hpp"

using joule::io::bfloat16_to_float32;
using joule::io::float16_to_float32;

namespace {
std::uint32_t bits(float value) { return std::bit_cast<std::uint32_t>(value); }
}  // namespace

TEST_CASE("float16 known values convert bit exactly", "[io][half]") {
  CHECK(bits(float16_to_float32(0x3c00)) == bits(1.0f));
  CHECK(bits(float16_to_float32(0xc100)) == bits(-2.5f));
  CHECK(bits(float16_to_float32(0x7bff)) == bits(65504.0f));   // largest finite
  CHECK(bits(float16_to_float32(0x0001)) == bits(0x1p-24f));   // smallest subnormal
  CHECK(bits(float16_to_float32(0x03ff)) == bits(0x3ffp-24f));  // largest subnormal
  CHECK(bits(float16_to_float32(0x0400)) == bits(0x1p-14f));   // smallest normal
  CHECK(bits(float16_to_float32(0x8001)) == bits(-0x1p-24f));
  CHECK(bits(float16_to_float32(0x0000)) == 0x00000000u);
  CHECK(bits(float16_to_float32(0x8000)) == 0x80000000u);      // -0 keeps its sign
  CHECK(bits(float16_to_float32(0x7c00)) == 0x7f800000u);      // +inf
  CHECK(bits(float16_to_float32(0xfc00)) == 0xff800000u);      // -inf
  CHECK(bits(float16_to_float32(0x7e00)) == 0x7fc00000u);      // quiet NaN
  CHECK(bits(float16_to_float32(0x7c01)) == 0x7f802000u);      // signalling NaN keeps its payload
  CHECK(bits(float16_to_float32(0xfe01)) == 0xffc02000u);
  CHECK(std::isnan(float16_to_float32(0x7e00)));
  static_assert(float16_to_float32(0x3c00) == 1.0f, "usable in constant expressions");
}

TEST_CASE("every float16 value converts to its exact float32", "[io][half]") {
  int mismatches = 0;
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const bool negative = (h & 0x8000) != 0;
    const int exponent = static_cast<int>((h >> 10) & 0x1f);
    const int mantissa = static_cast<int>(h & 0x3ff);
    const float converted = float16_to_float32(static_cast<std::uint16_t>(h));
    if (exponent == 0x1f) {
      const std::uint32_t expected = (negative ? 0x80000000u : 0u) | 0x7f800000u | (std::uint32_t(mantissa) << 13);
      if (bits(converted) != expected) ++mismatches;
      continue;
    }
    // value = mantissa * 2^-24 for subnormals, (1024 + mantissa) * 2^(exponent - 25) otherwise.
    const double magnitude = exponent == 0 ? std::ldexp(double(mantissa), -24) : std::ldexp(double(1024 + mantissa), exponent - 25);
    const double expected = negative ? -magnitude : magnitude;
    if (static_cast<double>(converted) != expected || std::signbit(converted) != negative) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("bfloat16 known values convert bit exactly", "[io][half]") {
  CHECK(bits(bfloat16_to_float32(0x3f80)) == bits(1.0f));
  CHECK(bits(bfloat16_to_float32(0xc020)) == bits(-2.5f));
  CHECK(bits(bfloat16_to_float32(0x4780)) == bits(65536.0f));  // 65504 is not a bfloat16; this is its rounding
  CHECK(bits(bfloat16_to_float32(0x7f7f)) == 0x7f7f0000u);      // largest finite, 3.39e38
  CHECK(bits(bfloat16_to_float32(0x0001)) == 0x00010000u);      // smallest subnormal
  CHECK(bfloat16_to_float32(0x0001) == 0x1p-133f);
  CHECK(bits(bfloat16_to_float32(0x8000)) == 0x80000000u);
  CHECK(bits(bfloat16_to_float32(0x7f80)) == 0x7f800000u);
  CHECK(bits(bfloat16_to_float32(0xff80)) == 0xff800000u);
  CHECK(bits(bfloat16_to_float32(0x7fc0)) == 0x7fc00000u);
  CHECK(bits(bfloat16_to_float32(0x7f81)) == 0x7f810000u);  // signalling NaN keeps its payload
}

TEST_CASE("bulk conversion reads little-endian pairs at any alignment", "[io][half]") {
  // One leading byte puts every value at an odd address.
  const std::vector<unsigned char> bytes = {0xaa, 0x00, 0x3c, 0x00, 0xc1, 0xff, 0x7b, 0x01, 0x00};
  std::vector<float> out(4, -1.0f);
  joule::io::float16_bytes_to_float32(std::span(bytes).subspan(1), out.data());
  CHECK(out == std::vector<float>{1.0f, -2.5f, 65504.0f, 0x1p-24f});

  const std::vector<unsigned char> bf = {0x80, 0x3f, 0x20, 0xc0, 0x99};  // odd last byte ignored
  std::vector<float> bf_out(2);
  joule::io::bfloat16_bytes_to_float32(bf, bf_out.data());
  CHECK(bf_out == std::vector<float>{1.0f, -2.5f});
}
