// The joule side of the numpy compatibility tests. These cases are hidden from the normal run:
// npy_numpy_compat.py runs them with JOULE_NPY_COMPAT_DIR set, after (or before) numpy has done
// its part, so that numpy itself checks our files and we check numpy's.
//   [npy_compat_write]: writes every case with write_npy, for numpy to load and compare.
//   [npy_compat_read]:  reads what numpy.save wrote, compares values and bytes, checks refusals.
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "io_test_support.hpp"
#include "joule/io/npy.hpp"

using joule::ErrorCode;
using joule::Status;
using joule::io::NpyArray;
using Catch::Matchers::Contains;

namespace {

/// The cases, defined identically in npy_numpy_compat.py.
std::vector<std::string> case_names() {
  return {"f32_2x3", "f32_scalar", "f32_empty", "f32_rank5", "f32_special", "f32_long", "i8_all", "i8_2x2"};
}

NpyArray expected_case(const std::string& name) {
  NpyArray array;
  const auto ramp = [&](std::vector<std::int64_t> shape) {
    array.shape = std::move(shape);
    for (std::size_t i = 0; i < array.elements(); ++i) array.floats.push_back((float(i) - 7.0f) * 0.25f);
  };
  if (name == "f32_2x3") {
    ramp({2, 3});
  } else if (name == "f32_scalar") {
    array.floats = {3.5f};
  } else if (name == "f32_empty") {
    array.shape = {0, 4};
  } else if (name == "f32_rank5") {
    ramp({2, 1, 3, 1, 2});
  } else if (name == "f32_special") {
    array.shape = {7};
    for (std::uint32_t bits : {0x7fc00000u, 0x7f800000u, 0xff800000u, 0x80000000u, 0x00000001u, 0x7f7fffffu, 0x7fa00001u})
      array.floats.push_back(std::bit_cast<float>(bits));
  } else if (name == "f32_long") {
    array.shape = {12345};
    for (int i = 0; i < 12345; ++i) array.floats.push_back(float(i % 97 - 48) * 0.5f);
  } else if (name == "i8_all") {
    array.type = NpyArray::Type::int8;
    array.shape = {256};
    for (int v = -128; v <= 127; ++v) array.int8s.push_back(static_cast<std::int8_t>(v));
  } else if (name == "i8_2x2") {
    array.type = NpyArray::Type::int8;
    array.shape = {2, 2};
    array.int8s = {-1, 2, -3, 4};
  } else {
    FAIL("no such case " << name);
  }
  return array;
}

std::string compat_dir() {
  const char* dir = std::getenv("JOULE_NPY_COMPAT_DIR");
  REQUIRE(dir != nullptr);  // set by npy_numpy_compat.py; without it these cases cannot pass
  return dir;
}

std::vector<std::uint32_t> float_bits(const std::vector<float>& values) {
  std::vector<std::uint32_t> bits;
  for (float v : values) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}

}  // namespace

TEST_CASE("npy compat: write every case for numpy to load", "[.][npy_compat_write]") {
  const std::string dir = compat_dir();
  for (const std::string& name : case_names()) {
    const NpyArray array = expected_case(name);
    const Status status = array.type == NpyArray::Type::float32
                              ? joule::io::write_npy(dir + "/" + name + ".npy", array.floats, array.shape)
                              : joule::io::write_npy(dir + "/" + name + ".npy", array.int8s, array.shape);
    INFO(name << ": " << status.message());
    CHECK(status.ok());
  }
}

TEST_CASE("npy compat: read what numpy wrote, byte for byte what we would write", "[.][npy_compat_read]") {
  const std::string dir = compat_dir();
  for (const std::string& name : case_names()) {
    INFO(name);
    const NpyArray expected = expected_case(name);
    NpyArray array;
    const Status status = joule::io::read_npy(dir + "/" + name + ".npy", array);
    INFO(status.message());
    REQUIRE(status.ok());
    CHECK(array.type == expected.type);
    CHECK(array.shape == expected.shape);
    CHECK(float_bits(array.floats) == float_bits(expected.floats));
    CHECK(array.int8s == expected.int8s);

    std::vector<unsigned char> numpy_bytes;
    REQUIRE(joule::io::read_file(dir + "/" + name + ".npy", numpy_bytes).ok());
    const std::vector<unsigned char> ours = expected.type == NpyArray::Type::float32
                                                ? joule::io::encode_npy(expected.floats, expected.shape)
                                                : joule::io::encode_npy(expected.int8s, expected.shape);
    CHECK(ours == numpy_bytes);
  }
  // Versions 2.0 and 3.0, which numpy writes on request.
  for (const char* name : {"v2_f32_2x3", "v3_f32_2x3"}) {
    INFO(name);
    NpyArray array;
    REQUIRE(joule::io::read_npy(dir + "/" + name + ".npy", array).ok());
    CHECK(array.shape == expected_case("f32_2x3").shape);
    CHECK(array.floats == expected_case("f32_2x3").floats);
  }
}

TEST_CASE("npy compat: numpy files joule does not read are refused, saying why", "[.][npy_compat_read]") {
  const std::string dir = compat_dir();
  const std::vector<std::tuple<std::string, ErrorCode, std::string>> refusals = {
      {"refuse_f64", ErrorCode::type_mismatch, "dtype '<f8' not supported"},
      {"refuse_f16", ErrorCode::type_mismatch, "dtype '<f2' not supported"},
      {"refuse_i16", ErrorCode::type_mismatch, "dtype '<i2' not supported"},
      {"refuse_u8", ErrorCode::type_mismatch, "dtype '|u1' not supported"},
      {"refuse_big_endian", ErrorCode::type_mismatch, "dtype '>f4' is big-endian"},
      {"refuse_structured", ErrorCode::type_mismatch, "'descr' is a list (a structured dtype)"},
      {"refuse_fortran", ErrorCode::format_error, "fortran_order is True"},
      {"refuse_truncated", ErrorCode::format_error, "npy data: expected 24 bytes for shape (2, 3) of float32, found 20"},
  };
  for (const auto& [name, code, part] : refusals) {
    INFO(name);
    NpyArray array;
    const Status status = joule::io::read_npy(dir + "/" + name + ".npy", array);
    CHECK(status.code() == code);
    CHECK_THAT(std::string(status.message()), Contains(part));
  }
}
