// The safetensors reader: a hand-built hostile file for every refusal (code and message), round
// trips through the writer, and find()'s contract (in place or copied, conversion and caching,
// unsupported dtypes, unused()).
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "io_test_support.hpp"
#include "joule/io/safetensors.hpp"

using joule::ErrorCode;
using joule::Status;
using joule::io::NamedTensor;
using joule::io::SafetensorsFile;
using Catch::Matchers::Contains;
using iotest::Bytes;

namespace {

Status parse(Bytes bytes) {
  SafetensorsFile file;
  return SafetensorsFile::parse(std::move(bytes), file);
}

/// Checks that `bytes` is refused with `code` and a message containing `part`, and that the
/// message is one line.
void check_refused(Bytes bytes, ErrorCode code, const std::string& part) {
  SafetensorsFile file;
  const Status status = SafetensorsFile::parse(std::move(bytes), file);
  INFO("message: " << status.message());
  CHECK(status.code() == code);
  CHECK_THAT(std::string(status.message()), Contains(part));
  CHECK(std::string(status.message()).find('\n') == std::string::npos);
  CHECK(file.tensors().empty());
}

std::string entry(std::string_view dtype, std::string_view shape, std::string_view offsets) {
  return std::string(R"({"dtype":")") + std::string(dtype) + R"(","shape":)" + std::string(shape) +
         R"(,"data_offsets":)" + std::string(offsets) + "}";
}

std::uint32_t bits(float value) { return std::bit_cast<std::uint32_t>(value); }

}  // namespace

TEST_CASE("safetensors: the length field and the file size are checked", "[io][safetensors]") {
  check_refused({}, ErrorCode::format_error, "safetensors: file has 0 bytes, fewer than the 8-byte header length");
  check_refused({1, 2, 3}, ErrorCode::format_error, "file has 3 bytes, fewer than the 8-byte header length");
  check_refused(iotest::safetensors_bytes("{}", {}, 100), ErrorCode::format_error,
                "safetensors: header length 100 runs past the end of the file (header would end at byte 108, file has 10 bytes)");
  check_refused(iotest::safetensors_bytes("{}", {}, 16'777'217), ErrorCode::format_error,
                "header length 16777217 above the limit of 16777216 bytes");
  check_refused(iotest::safetensors_bytes("{}", {}, std::numeric_limits<std::uint64_t>::max() - 1), ErrorCode::format_error,
                "header length 18446744073709551614 above the limit");
  check_refused(iotest::safetensors_bytes("", {}), ErrorCode::format_error, "malformed JSON");
}

TEST_CASE("safetensors: the header must be UTF-8 JSON holding an object", "[io][safetensors]") {
  check_refused(iotest::safetensors_bytes(R"({"a": )"), ErrorCode::format_error,
                "safetensors header: malformed JSON near byte 6 of 6: syntax error while parsing value - unexpected end of input");
  check_refused(iotest::safetensors_bytes(R"({"a": 1 "b": 2})"), ErrorCode::format_error, "malformed JSON near byte 11 of 15: syntax error while parsing object - unexpected string literal");
  check_refused(iotest::safetensors_bytes(R"({} x)"), ErrorCode::format_error, "malformed JSON");
  check_refused(iotest::safetensors_bytes("[1, 2]"), ErrorCode::format_error, "safetensors header: a JSON array, not an object");
  check_refused(iotest::safetensors_bytes("\"text\""), ErrorCode::format_error, "a JSON string, not an object");
  check_refused(iotest::safetensors_bytes("{\"\xff\": 1}"), ErrorCode::format_error,
                "safetensors header: not UTF-8 (byte \\xff at header offset 2)");
  check_refused(iotest::safetensors_bytes("{\"\xc0\x80\": 1}"), ErrorCode::format_error, "not UTF-8 (byte \\xc0");  // overlong NUL
  check_refused(iotest::safetensors_bytes("{\"\xed\xa0\x80\": 1}"), ErrorCode::format_error, "not UTF-8 (byte \\xed");  // surrogate
  check_refused(iotest::safetensors_bytes("{\"\xf4\x90\x80\x80\": 1}"), ErrorCode::format_error, "not UTF-8");  // above U+10FFFF
  check_refused(iotest::safetensors_bytes("{\"\xe2\x82\": 1}"), ErrorCode::format_error, "not UTF-8 (byte \\xe2 at header offset 2)");
  // Well-formed multi-byte names are fine.
  CHECK(parse(iotest::safetensors_bytes(R"({"caf\u00e9": )" + entry("F32", "[]", "[0,4]") + "}", iotest::float_bytes({1}))).ok());
  CHECK(parse(iotest::safetensors_bytes("{\"\xf0\x9f\x98\x80\": " + entry("F32", "[]", "[0,4]") + "}", iotest::float_bytes({1}))).ok());
}

TEST_CASE("safetensors: each entry must be an object with dtype, shape and data_offsets", "[io][safetensors]") {
  check_refused(iotest::safetensors_bytes(R"({"w": 5})"), ErrorCode::format_error,
                "safetensors tensor 'w': entry is a JSON number, not an object");
  check_refused(iotest::safetensors_bytes(R"({"w": {"shape": [], "data_offsets": [0, 4]}})"), ErrorCode::format_error,
                "tensor 'w': 'dtype' missing or not a string");
  check_refused(iotest::safetensors_bytes(R"({"w": {"dtype": 4, "shape": [], "data_offsets": [0, 4]}})"),
                ErrorCode::format_error, "'dtype' missing or not a string");
  check_refused(iotest::safetensors_bytes(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})"), ErrorCode::format_error,
                "tensor 'w': 'shape' missing or not an array");
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "{}", "[0, 4]") + "}"), ErrorCode::format_error,
                "'shape' missing or not an array");
  check_refused(iotest::safetensors_bytes(R"({"w": {"dtype": "F32", "shape": []}})"), ErrorCode::format_error,
                "tensor 'w': 'data_offsets' missing or not two non-negative integers");
  for (const char* offsets : {"[4]", "[0, 4, 8]", "[-4, 0]", "[0, 4.0]", "[0, \"4\"]", "{}", "[]", "[0, 18446744073709551616]"}) {
    INFO(offsets);
    check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "[]", offsets) + "}", iotest::float_bytes({1})),
                  ErrorCode::format_error, "'data_offsets' missing or not two non-negative integers");
  }
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "[0]", "[8, 4]") + "}", Bytes(8)),
                ErrorCode::format_error, "tensor 'w': data_offsets [8, 4] begin after they end");
}

TEST_CASE("safetensors: shapes must be at most 8 non-negative integers", "[io][safetensors]") {
  const auto refused_shape = [](const char* shape, const std::string& part) {
    INFO(shape);
    check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", shape, "[0, 4]") + "}", iotest::float_bytes({1})),
                  ErrorCode::format_error, part);
  };
  refused_shape("[-1]", "tensor 'w': shape dimension 0 is not a non-negative 64-bit integer (found -1)");
  refused_shape("[1, 1.5]", "shape dimension 1 is not a non-negative 64-bit integer (found a non-integer number)");
  refused_shape("[\"2\"]", "(found a JSON string)");
  refused_shape("[null]", "(found a JSON null)");
  refused_shape("[9223372036854775808]", "(found 9223372036854775808)");  // beyond int64
  refused_shape("[18446744073709551616]", "(found a non-integer number)");  // beyond uint64: JSON gives a double
  refused_shape("[1, 1, 1, 1, 1, 1, 1, 1, 1]", "tensor 'w': rank 9 above 8, the most joule holds");
  refused_shape("[[1]]", "safetensors header: arrays or objects nested more than 3 levels deep");
  refused_shape("[{}]", "nested more than 3 levels deep");
  // Deep nesting is dropped while parsing (no memory, no recursion), then refused.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  check_refused(iotest::safetensors_bytes(R"({"w": {"dtype": "F32", "shape": )" + deep + R"(, "data_offsets": [0, 0]}})"),
                ErrorCode::format_error, "nested more than 3 levels deep");
  check_refused(iotest::safetensors_bytes(deep), ErrorCode::format_error, "safetensors header: a JSON array, not an object");
  check_refused(iotest::safetensors_bytes(std::string(200000, '[')), ErrorCode::format_error, "malformed JSON near byte 200000 of 200000");
  // Rank 8 is the most, and works.
  CHECK(parse(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "[1,1,1,1,1,1,1,1]", "[0, 4]") + "}",
                                        iotest::float_bytes({1}))).ok());
}

TEST_CASE("safetensors: dtypes are the format's names, and sizes must agree with the shape", "[io][safetensors]") {
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F8_E4M3", "[4]", "[0, 4]") + "}", Bytes(4)),
                ErrorCode::type_mismatch,
                "tensor 'w': unknown dtype 'F8_E4M3' (known: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("f32", "[1]", "[0, 4]") + "}", Bytes(4)),
                ErrorCode::type_mismatch, "unknown dtype 'f32'");
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "[2, 3]", "[0, 20]") + "}", Bytes(20)),
                ErrorCode::format_error, "tensor 'w': shape [2, 3] of F32 is 24 bytes but data_offsets [0, 20] hold 20");
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("BF16", "[3]", "[0, 8]") + "}", Bytes(8)),
                ErrorCode::format_error, "shape [3] of BF16 is 6 bytes but data_offsets [0, 8] hold 8");
  // Every accepted dtype with its element size.
  for (const auto& [dtype, size] : std::vector<std::pair<std::string, int>>{
           {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1}}) {
    INFO(dtype);
    const std::string end = std::to_string(3 * size);
    CHECK(parse(iotest::safetensors_bytes(R"({"w": )" + entry(dtype, "[3]", "[0, " + end + "]") + "}", Bytes(3 * size))).ok());
  }
}

TEST_CASE("safetensors: element and byte counts that overflow 64 bits are refused", "[io][safetensors]") {
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "[4294967296, 4294967296]", "[0, 0]") + "}"),
                ErrorCode::format_error, "tensor 'w': shape [4294967296, 4294967296] of F32 overflows 64-bit byte counts");
  // The element count fits; times 8 bytes it does not.
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F64", "[2305843009213693952]", "[0, 0]") + "}"),
                ErrorCode::format_error, "shape [2305843009213693952] of F64 overflows");
  // A zero dimension makes the tensor empty however large the others are.
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "[4294967296, 0, 4294967296]", "[0, 0]") + "}"), file).ok());
  const joule::TensorData* data = file.find("w");
  REQUIRE(data != nullptr);
  CHECK(data->data != nullptr);
  CHECK(data->elements() == 0);
}

TEST_CASE("safetensors: the tensors must tile the data section exactly", "[io][safetensors]") {
  // Truncated: the header promises more than the file holds.
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", "[2]", "[0, 8]") + "}", Bytes(4)),
                ErrorCode::format_error, "tensor 'w': data_offsets [0, 8] run past the data section of 4 bytes (truncated file?)");
  check_refused(iotest::safetensors_bytes(R"({"a": )" + entry("F32", "[2]", "[0, 8]") + R"(, "b": )" +
                                          entry("F32", "[2]", "[4, 12]") + "}", Bytes(12)),
                ErrorCode::format_error, "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]");
  // The same range twice is an overlap too.
  check_refused(iotest::safetensors_bytes(R"({"a": )" + entry("F32", "[1]", "[0, 4]") + R"(, "b": )" +
                                          entry("F32", "[1]", "[0, 4]") + "}", Bytes(4)),
                ErrorCode::format_error, "tensor 'b': data_offsets [0, 4] overlap tensor 'a' [0, 4]");
  check_refused(iotest::safetensors_bytes(R"({"a": )" + entry("F32", "[1]", "[0, 4]") + R"(, "b": )" +
                                          entry("F32", "[1]", "[8, 12]") + "}", Bytes(12)),
                ErrorCode::format_error,
                "safetensors data section: bytes [4, 8) belong to no tensor (a hole, which the format forbids) before tensor 'b'");
  check_refused(iotest::safetensors_bytes(R"({"a": )" + entry("F32", "[1]", "[4, 8]") + "}", Bytes(8)),
                ErrorCode::format_error, "bytes [0, 4) belong to no tensor");
  check_refused(iotest::safetensors_bytes(R"({"a": )" + entry("F32", "[1]", "[0, 4]") + "}", Bytes(8)),
                ErrorCode::format_error, "safetensors data section: 4 bytes after the last tensor (tensors end at byte 4 of 8)");
  check_refused(iotest::safetensors_bytes("{}", Bytes(3)), ErrorCode::format_error, "3 bytes after the last tensor");
  // Empty tensors take no bytes, anywhere on the tiling.
  CHECK(parse(iotest::safetensors_bytes(R"({"a": )" + entry("F32", "[1]", "[0, 4]") + R"(, "e": )" +
                                        entry("F32", "[0]", "[4, 4]") + R"(, "f": )" + entry("F32", "[0, 2]", "[0, 0]") + "}",
                                        Bytes(4))).ok());
  CHECK(parse(iotest::safetensors_bytes("{}")).ok());
}

TEST_CASE("safetensors: __metadata__ must be an object of strings", "[io][safetensors]") {
  check_refused(iotest::safetensors_bytes(R"({"__metadata__": [1]})"), ErrorCode::format_error,
                "safetensors header: __metadata__ is a JSON array, not an object of strings");
  check_refused(iotest::safetensors_bytes(R"({"__metadata__": {"format": "pt", "epoch": 3}})"), ErrorCode::format_error,
                "safetensors header: __metadata__ value of 'epoch' is a JSON number, not a string");
  check_refused(iotest::safetensors_bytes(R"({"__metadata__": {"nested": {}}})"), ErrorCode::format_error,
                "__metadata__ value of 'nested' is a JSON object, not a string");
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::safetensors_bytes(R"({"__metadata__": {"format": "pt", "note": ""}})"), file).ok());
  CHECK(file.metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"note", ""}});
  CHECK(file.tensors().empty());
}

TEST_CASE("safetensors: repeated keys are refused, not silently merged", "[io][safetensors]") {
  check_refused(iotest::safetensors_bytes(R"({"a": )" + entry("F32", "[1]", "[0, 4]") + R"(, "a": )" +
                                          entry("F32", "[1]", "[4, 8]") + "}", Bytes(8)),
                ErrorCode::format_error, "safetensors header: duplicate key 'a'");
  check_refused(iotest::safetensors_bytes(R"({"a": {"dtype": "F32", "dtype": "F16", "shape": [1], "data_offsets": [0, 4]}})", Bytes(4)),
                ErrorCode::format_error, "duplicate key 'dtype'");
  check_refused(iotest::safetensors_bytes(R"({"__metadata__": {"k": "1", "k": "2"}})"), ErrorCode::format_error,
                "duplicate key 'k'");
}

TEST_CASE("safetensors: names in messages are quoted safely and kept short", "[io][safetensors]") {
  // A newline (escaped in JSON) in a name must not break the one-line message.
  check_refused(iotest::safetensors_bytes(R"({"bad\nname": 5})"), ErrorCode::format_error, "tensor 'bad\\x0aname'");
  const std::string long_name(300, 'n');
  check_refused(iotest::safetensors_bytes("{\"" + long_name + "\": 5}"), ErrorCode::format_error,
                "tensor '" + std::string(64, 'n') + "...': entry is a JSON number");
}

TEST_CASE("safetensors: encode then parse gives back every tensor", "[io][safetensors]") {
  const std::vector<NamedTensor> tensors = {
      {"layer.weight", {2, 3}, {1.5f, -2, 3, 0.25f, -0.0f, 1e-30f}},
      {"scalar", {}, {42}},
      {"empty", {0, 3}, {}},
      {"rank8", {1, 2, 1, 1, 1, 1, 1, 2}, {1, 2, 3, 4}},
      {"a.bias", {3}, {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(), 7}},
  };
  const Bytes bytes = joule::io::encode_safetensors(tensors);
  std::uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | bytes[static_cast<std::size_t>(i)];
  CHECK((8 + header) % 8 == 0);  // data aligned as the reference writer aligns it

  SafetensorsFile file;
  const Status status = SafetensorsFile::parse(bytes, file);
  REQUIRE(status.ok());
  REQUIRE(file.tensors().size() == tensors.size());
  // tensors() is in data-offset order: the order they were written. The empty tensor ties with
  // "rank8" at the same offset and sorts first by its (empty) range.
  std::vector<std::string> names;
  for (const auto& tensor : file.tensors()) names.push_back(tensor.name);
  CHECK(names == std::vector<std::string>{"layer.weight", "scalar", "empty", "rank8", "a.bias"});
  for (const NamedTensor& expected : tensors) {
    INFO(expected.name);
    const auto* info = file.tensor(expected.name);
    REQUIRE(info != nullptr);
    CHECK(info->dtype == "F32");
    CHECK(info->shape == expected.shape);
    CHECK(info->end - info->begin == expected.values.size() * 4);
    const joule::TensorData* data = file.find(expected.name);
    REQUIRE(data != nullptr);
    REQUIRE(data->data != nullptr);
    CHECK(data->rank == static_cast<int>(expected.shape.size()));
    REQUIRE(data->elements() == expected.values.size());
    for (std::size_t i = 0; i < expected.values.size(); ++i)
      CHECK(bits(data->values<float>()[i]) == bits(expected.values[i]));
  }
  CHECK(file.unused().empty());
  CHECK(file.metadata().empty());
}

TEST_CASE("safetensors: write_safetensors and load round trip through a file", "[io][safetensors]") {
  iotest::TempDir dir;
  const std::vector<NamedTensor> tensors = {{"w", {2, 2}, {1, 2, 3, 4}}, {"b", {2}, {5, 6}}};
  REQUIRE(joule::io::write_safetensors(dir.file("model.safetensors"), tensors).ok());
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::load(dir.file("model.safetensors"), file).ok());
  const joule::TensorData* w = file.find("w");
  REQUIRE(w != nullptr);
  CHECK(std::vector<float>(w->values<float>(), w->values<float>() + 4) ==
        std::vector<float>{1, 2, 3, 4});

  // The writer refuses what would not read back as given.
  Status status = joule::io::write_safetensors(dir.file("bad.safetensors"), {{"w", {2, 3}, {1, 2}}});
  CHECK(status.code() == ErrorCode::invalid_argument);
  CHECK_THAT(std::string(status.message()), Contains("tensor 'w': shape [2, 3] disagrees with 2 values"));
  status = joule::io::write_safetensors(dir.file("bad.safetensors"), {{"w", {1}, {1}}, {"w", {1}, {2}}});
  CHECK_THAT(std::string(status.message()), Contains("name repeated or reserved"));
  status = joule::io::write_safetensors(dir.file("bad.safetensors"), {{"\xff", {1}, {1}}});
  CHECK_THAT(std::string(status.message()), Contains("name is not UTF-8"));
  status = joule::io::write_safetensors(dir.file("bad.safetensors"), {{"w", {-1}, {}}});
  CHECK_THAT(std::string(status.message()), Contains("negative dimension"));
}

TEST_CASE("safetensors: load names the file in its errors", "[io][safetensors]") {
  iotest::TempDir dir;
  SafetensorsFile file;
  Status status = SafetensorsFile::load(dir.file("missing.safetensors"), file);
  CHECK(status.code() == ErrorCode::not_found);
  CHECK_THAT(std::string(status.message()), Contains("cannot open '" + dir.file("missing.safetensors") + "'"));

  REQUIRE(joule::io::write_file(dir.file("short.safetensors"), Bytes{1, 2}).ok());
  status = SafetensorsFile::load(dir.file("short.safetensors"), file);
  CHECK(status.code() == ErrorCode::format_error);
  CHECK_THAT(std::string(status.message()),
             Contains("'" + dir.file("short.safetensors") + "': safetensors: file has 2 bytes"));
}

TEST_CASE("safetensors: find() uses aligned F32 in place and copies misaligned F32", "[io][safetensors]") {
  const std::vector<iotest::Entry> entries = {{"a", "F32", {2}, iotest::float_bytes({1, 2})},
                                              {"b", "F32", {2}, iotest::float_bytes({3, 4})}};
  for (std::size_t padding = 0; padding < 4; ++padding) {
    Bytes bytes = iotest::make_safetensors(entries, nullptr, padding);
    const std::size_t data_start = bytes.size() - 16;
    SafetensorsFile file;
    REQUIRE(SafetensorsFile::parse(std::move(bytes), file).ok());
    const joule::TensorData* a = file.find("a");
    const joule::TensorData* b = file.find("b");
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    REQUIRE(a->data != nullptr);
    REQUIRE(b->data != nullptr);
    INFO("data section at file offset " << data_start);
    CHECK(reinterpret_cast<std::uintptr_t>(a->data) % alignof(float) == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(b->data) % alignof(float) == 0);
    CHECK(a->values<float>()[0] == 1);
    CHECK(a->values<float>()[1] == 2);
    CHECK(b->values<float>()[0] == 3);
    CHECK(b->values<float>()[1] == 4);
    // In place, the two tensors are adjacent as in the file; copies are separate allocations.
    const bool in_place = data_start % alignof(float) == 0;
    CHECK((a->values<float>() + 2 == b->values<float>()) == in_place);
    CHECK(file.find("a") == a);  // answered from the cache
    CHECK(file.find("a")->data == a->data);
  }
}

TEST_CASE("safetensors: find() converts F16 and BF16 once and keeps the result", "[io][safetensors]") {
  // One leading I8 byte puts both half tensors at odd offsets.
  const std::vector<iotest::Entry> entries = {
      {"step", "I8", {1}, {7}},
      {"half", "F16", {2, 3}, iotest::u16_bytes({0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00, 0x8000})},
      {"brain", "BF16", {2}, iotest::u16_bytes({0x3f80, 0xc020})},
  };
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries), file).ok());
  const joule::TensorData* half = file.find("half");
  REQUIRE(half != nullptr);
  REQUIRE(half->data != nullptr);
  CHECK(half->unsupported_dtype.empty());
  CHECK(half->rank == 2);
  CHECK(half->dims[0] == 2);
  CHECK(half->dims[1] == 3);
  CHECK(std::vector<float>(half->values<float>(), half->values<float>() + 6) ==
        std::vector<float>{1.0f, -2.5f, 65504.0f, 0x1p-24f, std::numeric_limits<float>::infinity(),
                           -0.0f});
  CHECK(std::signbit(half->values<float>()[5]));
  CHECK(file.find("half") == half);
  CHECK(file.find("half")->data == half->data);

  const joule::TensorData* brain = file.find("brain");
  REQUIRE(brain != nullptr);
  REQUIRE(brain->data != nullptr);
  CHECK(std::vector<float>(brain->values<float>(), brain->values<float>() + 2) ==
        std::vector<float>{1.0f, -2.5f});
}

TEST_CASE(
    "safetensors: I8, U8 and I32 tensors are given as int8, uint8 and int32, aligned or copied",
    "[io][safetensors]") {
  // "small" (3 bytes) first puts "wide" at data offset 3: an int32 that must be copied to be read.
  const std::vector<iotest::Entry> entries = {
      {"small", "I8", {3}, {0x80, 0x7f, 0xff}},
      {"wide", "I32", {2}, {0x01, 0x00, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff}},
      {"bytes", "U8", {1}, {200}},
  };
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries), file).ok());
  const joule::TensorData* small = file.find("small");
  REQUIRE(small != nullptr);
  CHECK(small->dtype == joule::DType::i8);
  REQUIRE(small->values<std::int8_t>() != nullptr);
  CHECK(small->values<float>() == nullptr);
  CHECK(std::vector<int>(small->values<std::int8_t>(), small->values<std::int8_t>() + 3) ==
        std::vector<int>{-128, 127, -1});
  const joule::TensorData* wide = file.find("wide");
  REQUIRE(wide != nullptr);
  CHECK(wide->dtype == joule::DType::i32);
  REQUIRE(wide->values<std::int32_t>() != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(wide->data) % alignof(std::int32_t) == 0);
  CHECK(wide->values<std::int32_t>()[0] == 1);
  CHECK(wide->values<std::int32_t>()[1] == -2);
  const joule::TensorData* bytes = file.find("bytes");
  REQUIRE(bytes != nullptr);
  CHECK(bytes->dtype == joule::DType::u8);
  CHECK(bytes->values<std::uint8_t>()[0] == 200);
}

TEST_CASE("safetensors: other dtypes answer with their name and no data, absent names with nullptr", "[io][safetensors]") {
  const std::vector<iotest::Entry> entries = {
      {"count", "I64", {2}, iotest::i64_bytes({1, 2})},
      {"mask", "BOOL", {3}, {1, 0, 1}},
      {"double", "F64", {1}, Bytes(8)},
  };
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries), file).ok());
  const joule::TensorData* count = file.find("count");
  REQUIRE(count != nullptr);
  CHECK(count->data == nullptr);
  CHECK(count->unsupported_dtype == "I64");
  CHECK(count->rank == 1);
  CHECK(count->dims[0] == 2);
  CHECK(file.find("mask")->unsupported_dtype == "BOOL");
  CHECK(file.find("double")->unsupported_dtype == "F64");
  CHECK(file.find("absent") == nullptr);
  CHECK(file.find("") == nullptr);
  CHECK(file.find("coun") == nullptr);
  CHECK(file.find("countt") == nullptr);
}

TEST_CASE("safetensors: unused() lists what find() never asked for, in file order", "[io][safetensors]") {
  const std::vector<iotest::Entry> entries = {
      {"z.weight", "F32", {1}, iotest::float_bytes({1})},
      {"bn.num_batches_tracked", "I64", {}, iotest::i64_bytes({100})},
      {"a.weight", "F16", {1}, iotest::u16_bytes({0x3c00})},
      {"float.num_batches_tracked", "F32", {}, iotest::float_bytes({1})},  // not an integer: listed
      {"m.bias", "F32", {1}, iotest::float_bytes({2})},
  };
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries, {{"format", "pt"}}), file).ok());
  CHECK(file.metadata().at("format") == "pt");
  CHECK(file.unused() == std::vector<std::string>{"z.weight", "a.weight", "float.num_batches_tracked", "m.bias"});
  CHECK(file.tensor("m.bias") != nullptr);  // looking at the description is not using it
  CHECK(file.unused().size() == 4);
  CHECK(file.find("m.bias") != nullptr);
  CHECK(file.find("not.there") == nullptr);
  CHECK(file.unused() == std::vector<std::string>{"z.weight", "a.weight", "float.num_batches_tracked"});
  CHECK(file.find("bn.num_batches_tracked") != nullptr);
  CHECK(file.find("z.weight") != nullptr);
  CHECK(file.find("a.weight") != nullptr);
  CHECK(file.find("float.num_batches_tracked") != nullptr);
  CHECK(file.unused().empty());
}

TEST_CASE("safetensors: pointers from find() survive moving the file object", "[io][safetensors]") {
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors({{"h", "F16", {1}, iotest::u16_bytes({0x3c00})},
                                                           {"f", "F32", {1}, iotest::float_bytes({5})}}), file).ok());
  const joule::TensorData* h = file.find("h");
  const joule::TensorData* f = file.find("f");
  SafetensorsFile moved = std::move(file);
  CHECK(moved.find("h") == h);
  CHECK(moved.find("f") == f);
  CHECK(h->values<float>()[0] == 1.0f);
  CHECK(f->values<float>()[0] == 5.0f);
}

TEST_CASE("safetensors: a failed parse leaves the output empty", "[io][safetensors]") {
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors({{"w", "F32", {1}, iotest::float_bytes({1})}}), file).ok());
  REQUIRE(file.tensors().size() == 1);
  CHECK_FALSE(SafetensorsFile::parse(Bytes{1}, file).ok());
  CHECK(file.tensors().empty());
  CHECK(file.find("w") == nullptr);
}

TEST_CASE("safetensors: a header of exactly 16 MiB is read, one byte more is not",
          "[io][safetensors]") {
  constexpr std::size_t limit = std::size_t{16} << 20;
  CHECK(parse(iotest::safetensors_bytes("{}" + std::string(limit - 2, ' '))).ok());
  check_refused(iotest::safetensors_bytes("{}" + std::string(limit - 1, ' ')),
                ErrorCode::format_error,
                "safetensors: header length 16777217 above the limit of 16777216 bytes");
}

TEST_CASE("safetensors: a byte-order mark before the header is refused", "[io][safetensors]") {
  check_refused(iotest::safetensors_bytes("\xef\xbb\xbf{}"), ErrorCode::format_error,
                "safetensors header: starts with a UTF-8 byte-order mark (EF BB BF), which the "
                "format does not allow");
  // After whitespace it is no mark but a byte the JSON grammar does not allow there.
  check_refused(iotest::safetensors_bytes(" \xef\xbb\xbf{}"), ErrorCode::format_error,
                "malformed JSON near byte 2 of 6");
}

TEST_CASE("safetensors: the number of tensors, keys and metadata strings is bounded",
          "[io][safetensors]") {
  const auto many = [](std::size_t count) {
    std::string header = "{";
    for (std::size_t i = 0; i < count; ++i)
      header += (i ? ",\"" : "\"") + std::to_string(i) +
                R"(":{"dtype":"U8","shape":[0],"data_offsets":[0,0]})";
    return iotest::safetensors_bytes(header + "}");
  };
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(many(100'000), file).ok());
  CHECK(file.tensors().size() == 100'000);
  check_refused(many(100'001), ErrorCode::format_error,
                "safetensors header: more than 100000 tensors, the most joule reads from one file");

  const std::string name(1024, 'k');
  CHECK(parse(iotest::safetensors_bytes("{\"" + name + "\": " + entry("F32", "[]", "[0, 4]") + "}",
                                        iotest::float_bytes({1})))
            .ok());
  check_refused(iotest::safetensors_bytes("{\"" + name + "k\": 5}"), ErrorCode::format_error,
                "safetensors header: a key of 1025 bytes, above the limit of 1024 ('" +
                    std::string(32, 'k') + "...')");

  std::string metadata = R"({"__metadata__": {)";
  for (int i = 0; i < 1025; ++i) metadata += (i ? ",\"" : "\"") + std::to_string(i) + "\": \"\"";
  check_refused(iotest::safetensors_bytes(metadata + "}}"), ErrorCode::format_error,
                "safetensors header: __metadata__ has more than 1024 strings");
  check_refused(iotest::safetensors_bytes(R"({"__metadata__": {}, "__metadata__": {}})"),
                ErrorCode::format_error, "safetensors header: duplicate key '__metadata__'");
}

TEST_CASE("safetensors: keys joule does not read are skipped, within limits", "[io][safetensors]") {
  // The reference implementation ignores them too.
  SafetensorsFile file;
  REQUIRE(
      SafetensorsFile::parse(
          iotest::safetensors_bytes(
              R"({"w": {"note": "x", "dtype": "F32", "extra": [1, "two"], "more": {"a": 2}, "shape": [1], "data_offsets": [0, 4]}})",
              iotest::float_bytes({3})),
          file)
          .ok());
  REQUIRE(file.tensor("w") != nullptr);
  CHECK(file.tensor("w")->shape == std::vector<std::int64_t>{1});
  check_refused(
      iotest::safetensors_bytes(
          R"({"w": {"x": 1, "x": 2, "dtype": "F32", "shape": [], "data_offsets": [0, 4]}})",
          iotest::float_bytes({3})),
      ErrorCode::format_error, "safetensors header: duplicate key 'x'");
  std::string keys;
  for (int i = 0; i < 14; ++i) keys += "\"k" + std::to_string(i) + "\": 0, ";
  check_refused(
      iotest::safetensors_bytes(
          R"({"w": {)" + keys + R"("dtype": "F32", "shape": [], "data_offsets": [0, 4]}})",
          iotest::float_bytes({3})),
      ErrorCode::format_error,
      "safetensors tensor 'w': entry has more than 16 keys (it holds dtype, shape and "
      "data_offsets)");
  check_refused(
      iotest::safetensors_bytes(
          R"({"w": {"extra": [[1]], "dtype": "F32", "shape": [], "data_offsets": [0, 4]}})",
          iotest::float_bytes({3})),
      ErrorCode::format_error, "nested more than 3 levels deep");
}

TEST_CASE("safetensors: a long shape is refused by its length, without keeping it",
          "[io][safetensors]") {
  std::string shape = "[1";
  for (int i = 1; i < 1'000'000; ++i) shape += ",1";
  check_refused(iotest::safetensors_bytes(R"({"w": )" + entry("F32", shape + "]", "[0, 4]") + "}",
                                          iotest::float_bytes({1})),
                ErrorCode::format_error, "tensor 'w': rank 1000000 above 8, the most joule holds");
}

TEST_CASE("safetensors: load refuses a length field above the limit and names the file",
          "[io][safetensors]") {
  iotest::TempDir dir;
  REQUIRE(joule::io::write_file(dir.file("huge.safetensors"),
                                iotest::safetensors_bytes("{}", {}, std::uint64_t{1} << 40))
              .ok());
  SafetensorsFile file;
  const Status status = SafetensorsFile::load(dir.file("huge.safetensors"), file);
  CHECK(status.code() == ErrorCode::format_error);
  CHECK_THAT(std::string(status.message()),
             Contains("huge.safetensors': safetensors: header length 1099511627776 above the limit "
                      "of 16777216 bytes"));
}
