// The .npy reader and writer: a hand-built hostile file for every refusal (code and message),
// the header variants numpy and Python allow, round trips, and the writer's exact layout.
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "io_test_support.hpp"
#include "joule/io/npy.hpp"

using joule::ErrorCode;
using joule::Status;
using joule::io::NpyArray;
using Catch::Matchers::Contains;
using iotest::Bytes;

namespace {

/// A file with the given version and header text, the length field saying the header's size.
Bytes npy_bytes(std::string_view header, const Bytes& data = {}, int major = 1) {
  Bytes bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
  const std::size_t length = header.size();
  bytes.push_back(static_cast<unsigned char>(length & 0xff));
  bytes.push_back(static_cast<unsigned char>((length >> 8) & 0xff));
  if (major != 1) {
    bytes.push_back(static_cast<unsigned char>((length >> 16) & 0xff));
    bytes.push_back(static_cast<unsigned char>(length >> 24));
  }
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

std::string dict(std::string_view descr, std::string_view shape, std::string_view fortran = "False") {
  return "{'descr': '" + std::string(descr) + "', 'fortran_order': " + std::string(fortran) + ", 'shape': " +
         std::string(shape) + ", }\n";
}

void check_refused(const Bytes& bytes, ErrorCode code, const std::string& part) {
  NpyArray array;
  array.shape = {1};
  array.floats = {1};
  const Status status = joule::io::parse_npy(bytes, array);
  INFO("message: " << status.message());
  CHECK(status.code() == code);
  CHECK_THAT(std::string(status.message()), Contains(part));
  CHECK(std::string(status.message()).find('\n') == std::string::npos);
  CHECK(array.shape.empty());
  CHECK(array.floats.empty());
}

void check_header_refused(std::string_view header, const std::string& part) {
  INFO("header: " << header);
  check_refused(npy_bytes(header, Bytes(24)), ErrorCode::format_error, part);
}

std::uint32_t bits(float value) { return std::bit_cast<std::uint32_t>(value); }

}  // namespace

TEST_CASE("npy: the preamble is checked", "[io][npy]") {
  check_refused({}, ErrorCode::format_error, "npy: file has 0 bytes, fewer than the 10-byte preamble");
  check_refused({0x93, 'N', 'U', 'M', 'P'}, ErrorCode::format_error, "npy: file has 5 bytes, fewer than the 10-byte preamble");
  check_refused(iotest::text_bytes("PK\x03\x04 this is a zip"), ErrorCode::format_error,
                "npy: not an .npy file (starts with 'PK\\x03\\x04 t', expected '\\x93NUMPY')");
  Bytes version = npy_bytes(dict("<f4", "()"), Bytes(4));
  version[6] = 4;
  check_refused(version, ErrorCode::format_error, "npy: version 4.0 not supported (1.0, 2.0 and 3.0 are)");
  version[6] = 1;
  version[7] = 1;
  check_refused(version, ErrorCode::format_error, "npy: version 1.1 not supported");
  check_refused({0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0}, ErrorCode::format_error,
                "npy: file has 11 bytes, fewer than the 12-byte preamble of version 2.0");
  Bytes long_header = npy_bytes(dict("<f4", "()"));
  long_header[8] = 0xf4;
  long_header[9] = 0x01;  // 500
  check_refused(long_header, ErrorCode::format_error,
                "npy: header length 500 runs past the end of the file (header would end at byte 510, file has");
  Bytes huge_v2 = npy_bytes(dict("<f4", "()"), {}, 2);
  huge_v2[8] = huge_v2[9] = huge_v2[10] = huge_v2[11] = 0xff;
  check_refused(huge_v2, ErrorCode::format_error,
                "npy: header length 4294967295 above the limit of 10000 bytes");
}

TEST_CASE("npy: a header of 10,000 bytes is read, one byte more is not", "[io][npy]") {
  const std::string text = dict("<f4", "(2,)");
  const std::string at_limit =
      text.substr(0, text.size() - 1) + std::string(10'000 - text.size(), ' ') + "\n";
  REQUIRE(at_limit.size() == 10'000);
  NpyArray array;
  CHECK(joule::io::parse_npy(npy_bytes(at_limit, iotest::float_bytes({1, 2}), 2), array).ok());
  CHECK(array.floats == std::vector<float>{1, 2});
  check_refused(npy_bytes(" " + at_limit, iotest::float_bytes({1, 2}), 2), ErrorCode::format_error,
                "npy: header length 10001 above the limit of 10000 bytes");
}

TEST_CASE("npy: the header dict is parsed strictly", "[io][npy]") {
  check_header_refused("", "npy header: expected '{' to open the dict at header offset 0 (found the end)");
  check_header_refused("descr", "expected '{' to open the dict at header offset 0 (found 'd')");
  check_header_refused("{'descr': '<f4'", "expected ',' or '}' after a value at header offset 15 (found the end)");
  check_header_refused("{'descr: '<f4'}", "expected ':' after a key at header offset 10");
  check_header_refused("{descr: '<f4'}", "expected a key in quotes at header offset 1 (found 'd')");
  check_header_refused("{'descr': <f4}", "expected the 'descr' string in quotes at header offset 10");
  check_header_refused("{'descr': '<f4", "unterminated string");
  check_header_refused("{'descr': '<\\x66'}", "escape sequences are not supported in the header");
  check_header_refused("{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}",
                       "expected True or False for 'fortran_order' at header offset 34 (found 'M')");
  check_header_refused("{'descr': '<f4', 'fortran_order': Falsey, 'shape': ()}", "expected True or False");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "expected a tuple '(...)' for 'shape'");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", "expected ',' or ')' in 'shape'");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x)}", "expected a dimension (a non-negative integer)");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (6)}",
                       "npy header: 'shape' is (6), not a tuple (a one-element tuple is written (n,))");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} trailing",
                       "unexpected text after the dict at header offset 56 (found 't')");
  check_header_refused("{'descr': '<f4', 'shape': (6,)}", "npy header: missing key 'fortran_order'");
  check_header_refused("{}", "npy header: missing key 'descr' 'fortran_order' 'shape'");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1}",
                       "npy header: unexpected key 'extra' (the header holds 'descr', 'fortran_order' and 'shape' only)");
  check_header_refused("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}",
                       "npy header: key 'descr' appears twice");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", "npy header: negative dimension -3 in 'shape'");
  check_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775808,)}",
                       "npy header: dimension 9223372036854775808 in 'shape' does not fit 64 bits");
  std::string rank65 = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 65; ++i) rank65 += "1, ";
  check_header_refused(rank65 + ")}", "npy header: shape has more than 64 dimensions");
}

TEST_CASE("npy: dtype and order must be float32 or int8 in C order", "[io][npy]") {
  check_refused(npy_bytes(dict(">f4", "(6,)"), Bytes(24)), ErrorCode::type_mismatch,
                "npy header: dtype '>f4' is big-endian; joule reads '<f4' float32 and '|i1' int8 arrays");
  check_refused(npy_bytes(dict("<f8", "(3,)"), Bytes(24)), ErrorCode::type_mismatch, "npy header: dtype '<f8' not supported;");
  check_refused(npy_bytes(dict("<i4", "(6,)"), Bytes(24)), ErrorCode::type_mismatch, "dtype '<i4' not supported");
  check_refused(npy_bytes(dict("|u1", "(24,)"), Bytes(24)), ErrorCode::type_mismatch, "dtype '|u1' not supported");
  check_refused(npy_bytes(dict("<f2", "(12,)"), Bytes(24)), ErrorCode::type_mismatch, "dtype '<f2' not supported");
  check_refused(npy_bytes("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (6,), }", Bytes(24)),
                ErrorCode::type_mismatch, "npy header: 'descr' is a list (a structured dtype)");
  check_refused(npy_bytes(dict("<f4", "(2, 3)", "True"), Bytes(24)), ErrorCode::format_error,
                "npy header: fortran_order is True (column-major); joule reads C order only");
}

TEST_CASE("npy: the data must be exactly as long as the shape says", "[io][npy]") {
  check_refused(npy_bytes(dict("<f4", "(2, 3)"), Bytes(20)), ErrorCode::format_error,
                "npy data: expected 24 bytes for shape (2, 3) of float32, found 20 (truncated file?)");
  check_refused(npy_bytes(dict("<f4", "(2, 3)"), Bytes(28)), ErrorCode::format_error,
                "npy data: expected 24 bytes for shape (2, 3) of float32, found 28 (trailing bytes)");
  check_refused(npy_bytes(dict("|i1", "(5,)"), Bytes(4)), ErrorCode::format_error,
                "expected 5 bytes for shape (5,) of int8, found 4");
  check_refused(npy_bytes(dict("<f4", "()"), Bytes(0)), ErrorCode::format_error, "expected 4 bytes for shape () of float32, found 0");
  check_refused(npy_bytes(dict("<f4", "(4294967296, 4294967296)"), Bytes(4)), ErrorCode::format_error,
                "npy header: shape (4294967296, 4294967296) has more elements than 64-bit counts hold");
  check_refused(npy_bytes(dict("<f4", "(4611686018427387904,)"), Bytes(4)), ErrorCode::format_error,
                "shape (4611686018427387904,) has more elements than 64-bit counts hold");  // 2^62 x 4 bytes
  // A zero dimension: no elements however large the others.
  NpyArray array;
  REQUIRE(joule::io::parse_npy(npy_bytes(dict("<f4", "(4294967296, 0, 4294967296)")), array).ok());
  CHECK(array.shape == std::vector<std::int64_t>{4294967296, 0, 4294967296});
  CHECK(array.elements() == 0);
  CHECK(array.floats.empty());
}

TEST_CASE("npy: header variants that numpy and Python accept are read", "[io][npy]") {
  const Bytes six = iotest::float_bytes({1, 2, 3, 4, 5, 6});
  for (const std::string& header : std::vector<std::string>{
           dict("<f4", "(2, 3)"),
           dict("=f4", "(2, 3)"),
           dict("f4", "(2, 3)"),
           std::string("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}"),
           std::string("{'shape':(2,3),'fortran_order':False,'descr':'<f4'}"),
           std::string("{\n  'descr' : '<f4' ,\n\t'fortran_order': False,\r\n 'shape': ( 2 , 3 , ) ,\n}\n   \n"),
           std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"),
       }) {
    INFO(header);
    for (int major : {1, 2, 3}) {
      NpyArray array;
      const Status status = joule::io::parse_npy(npy_bytes(header, six, major), array);
      INFO("version " << major << ": " << status.message());
      REQUIRE(status.ok());
      CHECK(array.type == NpyArray::Type::float32);
      CHECK(array.shape == std::vector<std::int64_t>{2, 3});
      CHECK(array.floats == std::vector<float>{1, 2, 3, 4, 5, 6});
      CHECK(array.int8s.empty());
    }
  }
  for (const char* descr : {"|i1", "i1", "<i1", "=i1"}) {
    INFO(descr);
    NpyArray array;
    REQUIRE(joule::io::parse_npy(npy_bytes(dict(descr, "(3,)"), {0x80, 0x00, 0x7f}), array).ok());
    CHECK(array.type == NpyArray::Type::int8);
    CHECK(array.int8s == std::vector<std::int8_t>{-128, 0, 127});
    CHECK(array.floats.empty());
  }
}

TEST_CASE("npy: encode then parse gives back values bit for bit", "[io][npy]") {
  const std::vector<float> specials = {0.0f, -0.0f, 1.5f, -3.25f, 0x1p-149f, std::numeric_limits<float>::max(),
                                       std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                                       std::numeric_limits<float>::quiet_NaN(), std::bit_cast<float>(0x7fa00001u)};
  for (const std::vector<std::int64_t>& shape : std::vector<std::vector<std::int64_t>>{{10}, {2, 5}, {1, 2, 1, 5, 1}}) {
    NpyArray array;
    REQUIRE(joule::io::parse_npy(joule::io::encode_npy(specials, shape), array).ok());
    CHECK(array.shape == shape);
    REQUIRE(array.floats.size() == specials.size());
    for (std::size_t i = 0; i < specials.size(); ++i) CHECK(bits(array.floats[i]) == bits(specials[i]));
  }
  std::vector<std::int8_t> all;
  for (int v = -128; v <= 127; ++v) all.push_back(static_cast<std::int8_t>(v));
  const std::vector<std::int64_t> shape = {16, 16};
  NpyArray array;
  REQUIRE(joule::io::parse_npy(joule::io::encode_npy(all, shape), array).ok());
  CHECK(array.type == NpyArray::Type::int8);
  CHECK(array.int8s == all);
  CHECK(array.elements() == 256);

  // 0-d and empty arrays.
  const std::vector<float> one = {2.5f};
  REQUIRE(joule::io::parse_npy(joule::io::encode_npy(one, std::span<const std::int64_t>()), array).ok());
  CHECK(array.shape.empty());
  CHECK(array.elements() == 1);
  CHECK(array.floats == one);
  const std::vector<std::int64_t> empty_shape = {0, 3};
  REQUIRE(joule::io::parse_npy(joule::io::encode_npy(std::span<const float>(), empty_shape), array).ok());
  CHECK(array.shape == empty_shape);
  CHECK(array.floats.empty());
}

TEST_CASE("npy: the writer lays out the header as numpy.save does", "[io][npy]") {
  const std::vector<float> values(6, 0.0f);
  const std::vector<std::int64_t> shape = {2, 3};
  const Bytes bytes = joule::io::encode_npy(values, shape);
  // numpy 1.24's bytes for np.save(f, np.zeros((2, 3), np.float32)): the dict, 20 spaces of room
  // to grow the first axis, padding to a 64-byte boundary, a newline.
  const std::string expected_header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + std::string(58, ' ') + "\n";
  REQUIRE(bytes.size() == 10 + expected_header.size() + 24);
  CHECK(Bytes(bytes.begin(), bytes.begin() + 10) == Bytes{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0});
  CHECK(std::string(bytes.begin() + 10, bytes.begin() + 128) == expected_header);

  // The data starts on a 64-byte boundary whatever the header's length, and the header ends with
  // spaces and one newline.
  for (std::size_t rank = 0; rank <= 12; ++rank) {
    std::vector<std::int64_t> dims(rank, 1);
    if (rank > 0) dims[0] = static_cast<std::int64_t>(rank * 123457);
    std::vector<float> data(rank > 0 ? rank * 123457 : 1);
    const Bytes file = joule::io::encode_npy(data, dims);
    const std::size_t header = file[8] | (file[9] << 8);
    INFO("rank " << rank);
    CHECK((10 + header) % 64 == 0);
    CHECK(file[10 + header - 1] == '\n');
    CHECK(file[10 + header - 2] == ' ');
    CHECK(file.size() == 10 + header + data.size() * 4);
  }
  const std::vector<std::int8_t> small = {1, 2, 3};
  const std::vector<std::int64_t> small_shape = {3};
  const Bytes int8_file = joule::io::encode_npy(small, small_shape);
  const std::string dict_text = "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }";
  const std::size_t int8_header = int8_file[8] | (int8_file[9] << 8);
  CHECK(std::string(int8_file.begin() + 10, int8_file.begin() + 10 + static_cast<std::ptrdiff_t>(int8_header)) ==
        dict_text + std::string(int8_header - dict_text.size() - 1, ' ') + "\n");
  CHECK(int8_header - dict_text.size() - 1 >= 20);  // room for the first axis to grow
}

TEST_CASE("npy: a header too long for version 1.0 is written as 2.0, as numpy does", "[io][npy]") {
  const std::vector<std::int64_t> shape(25000, 1);
  const std::vector<float> values = {7.0f};
  const Bytes bytes = joule::io::encode_npy(values, shape);
  CHECK(bytes[6] == 2);
  const std::size_t header = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (std::size_t(bytes[11]) << 24);
  CHECK(header > 0xffff);
  CHECK((12 + header) % 64 == 0);
  CHECK(bytes.size() == 12 + header + 4);
}

TEST_CASE("npy: write_npy and read_npy round trip through files and name the path", "[io][npy]") {
  iotest::TempDir dir;
  const std::vector<float> values = {1, 2, 3, 4};
  const std::vector<std::int64_t> shape = {2, 2};
  REQUIRE(joule::io::write_npy(dir.file("a.npy"), values, shape).ok());
  NpyArray array;
  REQUIRE(joule::io::read_npy(dir.file("a.npy"), array).ok());
  CHECK(array.floats == values);
  const std::vector<std::int8_t> q = {-1, 1};
  const std::vector<std::int64_t> q_shape = {2};
  REQUIRE(joule::io::write_npy(dir.file("q.npy"), q, q_shape).ok());
  REQUIRE(joule::io::read_npy(dir.file("q.npy"), array).ok());
  CHECK(array.int8s == q);

  Status status = joule::io::write_npy(dir.file("bad.npy"), values, std::vector<std::int64_t>{3});
  CHECK(status.code() == ErrorCode::invalid_argument);
  CHECK_THAT(std::string(status.message()), Contains("bad.npy': npy: shape (3,) disagrees with 4 values"));
  status = joule::io::write_npy(dir.file("bad.npy"), values, std::vector<std::int64_t>{-2, -2});
  CHECK_THAT(std::string(status.message()), Contains("npy: negative dimension -2"));

  REQUIRE(joule::io::write_file(dir.file("short.npy"), Bytes{0x93, 'N'}).ok());
  status = joule::io::read_npy(dir.file("short.npy"), array);
  CHECK(status.code() == ErrorCode::format_error);
  CHECK_THAT(std::string(status.message()), Contains("short.npy': npy: file has 2 bytes"));
  // A bad length field is refused from the first 12 bytes, with the same message and the path.
  Bytes huge = npy_bytes(dict("<f4", "()"), {}, 3);
  huge[11] = 0x40;  // 1 GiB and a little
  REQUIRE(joule::io::write_file(dir.file("huge.npy"), huge).ok());
  status = joule::io::read_npy(dir.file("huge.npy"), array);
  CHECK(status.code() == ErrorCode::format_error);
  CHECK_THAT(std::string(status.message()),
             Contains("huge.npy': npy: header length 1073741880 above the limit of 10000 bytes"));
  status = joule::io::read_npy(dir.file("absent.npy"), array);
  CHECK(status.code() == ErrorCode::not_found);
  CHECK_THAT(std::string(status.message()), Contains("absent.npy': No such file or directory"));
}
