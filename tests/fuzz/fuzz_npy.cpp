// libFuzzer harness for the .npy reader. Whatever the bytes, parsing must return a Status (one
// line, never "internal error") and never crash; an array that parses must hold exactly as many
// values as its shape says, all readable, and survive a round trip through the writer. Built
// with -fsanitize=fuzzer (fuzz_npy) or with replay_main.cpp (fuzz_replay_npy, run on every build).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

#include "joule/io/npy.hpp"

namespace {

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_npy: %.*s %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  joule::io::NpyArray array;
  const joule::Status status = joule::io::parse_npy(std::span<const unsigned char>(data, size), array);
  if (!status.ok()) {
    const std::string_view message = status.message();
    if (message.empty()) fail("an error without a message");
    if (message.find('\n') != std::string_view::npos) fail("a message of more than one line:", message);
    // Only the start counts: a name from the file may say anything.
    if (message.starts_with("npy: internal error")) fail("caught an exception:", message);
    if (!array.shape.empty() || !array.floats.empty() || !array.int8s.empty()) fail("a refused file left data behind");
    return 0;
  }

  const bool is_float = array.type == joule::io::NpyArray::Type::float32;
  const std::size_t count = is_float ? array.floats.size() : array.int8s.size();
  if (count != array.elements()) fail("value count disagrees with the shape");
  if ((is_float ? array.int8s.size() : array.floats.size()) != 0) fail("values of the other type");
  for (std::int64_t dim : array.shape)
    if (dim < 0) fail("a negative dimension was accepted");

  const std::vector<unsigned char> encoded =
      is_float ? joule::io::encode_npy(array.floats, array.shape) : joule::io::encode_npy(array.int8s, array.shape);
  joule::io::NpyArray again;
  const joule::Status reparsed = joule::io::parse_npy(encoded, again);
  if (!reparsed.ok()) fail("our own encoding is refused:", reparsed.message());
  if (again.type != array.type || again.shape != array.shape) fail("round trip changed the type or shape");
  if (is_float) {
    if (again.floats.size() != array.floats.size() ||
        (count != 0 && std::memcmp(again.floats.data(), array.floats.data(), count * sizeof(float)) != 0))
      fail("round trip changed a value");
  } else if (again.int8s != array.int8s) {
    fail("round trip changed a value");
  }
  return 0;
}
