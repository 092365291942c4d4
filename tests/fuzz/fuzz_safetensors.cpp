// libFuzzer harness for the safetensors reader. Whatever the bytes, parsing must return a Status
// (one line, never "internal error") and never crash; a file that parses must answer find() for
// every tensor with values that can all be read, agree with its own description, and survive a
// round trip through the writer when it holds only F32 tensors. Built with -fsanitize=fuzzer
// (fuzz_safetensors) or with replay_main.cpp (fuzz_replay_safetensors, run on every build).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "joule/io/safetensors.hpp"

namespace {

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_safetensors: %.*s %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check_refusal(const joule::Status& status, const joule::io::SafetensorsFile& file) {
  const std::string_view message = status.message();
  if (message.empty()) fail("an error without a message");
  if (message.find('\n') != std::string_view::npos) fail("a message of more than one line:", message);
  // Only the start counts: a name from the file may say anything.
  if (message.starts_with("safetensors: internal error")) fail("caught an exception:", message);
  if (status.code() == joule::ErrorCode::ok) fail("an error with code ok");
  if (!file.tensors().empty() || !file.metadata().empty()) fail("a refused file left tensors behind");
}

std::uint32_t bits_of(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  joule::io::SafetensorsFile file;
  const joule::Status status =
      joule::io::SafetensorsFile::parse(std::vector<unsigned char>(data, data + size), file);
  if (!status.ok()) {
    check_refusal(status, file);
    return 0;
  }

  std::uint64_t sink = 0;
  std::size_t previous_end = 0;
  bool all_f32 = true;
  std::vector<joule::io::NamedTensor> named;
  for (const joule::io::SafetensorsTensor& tensor : file.tensors()) {
    if (file.tensor(tensor.name) != &tensor) fail("tensor() disagrees with tensors() for", tensor.name);
    if (tensor.begin != previous_end && tensor.end != tensor.begin) fail("tensors do not tile the data:", tensor.name);
    if (tensor.end > previous_end) previous_end = tensor.end;
    const joule::TensorData* found = file.find(tensor.name);
    if (found == nullptr) fail("find() misses a listed tensor:", tensor.name);
    if (found->rank != static_cast<int>(tensor.shape.size()) || found->rank > 8) fail("rank differs for", tensor.name);
    for (int i = 0; i < found->rank; ++i)
      if (found->dims[static_cast<std::size_t>(i)] != tensor.shape[static_cast<std::size_t>(i)]) fail("dims differ for", tensor.name);
    const bool floating = tensor.dtype == "F32" || tensor.dtype == "F16" || tensor.dtype == "BF16";
    const bool integer = tensor.dtype == "I32" || tensor.dtype == "I8" || tensor.dtype == "U8";
    if (!floating && !integer) {
      if (found->data != nullptr || found->unsupported_dtype != tensor.dtype) fail("unsupported dtype answered wrongly:", tensor.name);
      all_f32 = false;
      continue;
    }
    if (found->data == nullptr) fail("no data for", tensor.name);
    const std::size_t count = found->elements();
    const std::size_t width = tensor.dtype == "F32" || tensor.dtype == "I32" ? 4
                              : tensor.dtype == "I8" || tensor.dtype == "U8" ? 1
                                                                             : 2;
    if (count * width != tensor.end - tensor.begin)
      fail("element count disagrees with the byte range of", tensor.name);
    if (file.find(tensor.name) != found || file.find(tensor.name)->data != found->data) fail("find() did not cache", tensor.name);
    if (integer) {
      const joule::DType expected = tensor.dtype == "I32"  ? joule::DType::i32
                                    : tensor.dtype == "I8" ? joule::DType::i8
                                                           : joule::DType::u8;
      if (found->dtype != expected) fail("integer tensor given with the wrong dtype:", tensor.name);
      const auto* bytes = static_cast<const unsigned char*>(found->data);
      for (std::size_t i = 0; i < count * width; ++i) sink += bytes[i];
      all_f32 = false;
      continue;
    }
    const float* values = found->values<float>();
    if (values == nullptr) fail("floating-point tensor not given as float32:", tensor.name);
    for (std::size_t i = 0; i < count; ++i) sink += bits_of(values[i]);
    if (tensor.dtype != "F32") all_f32 = false;
    if (all_f32)
      named.push_back({tensor.name, tensor.shape, std::vector<float>(values, values + count)});
  }
  if (!file.unused().empty()) fail("unused() lists a tensor after find() asked for all:", file.unused().front());
  for (const auto& [key, value] : file.metadata()) sink += key.size() + value.size();

  if (all_f32) {
    // What we read, written back and read again, is the same.
    joule::io::SafetensorsFile again;
    const joule::Status reparsed = joule::io::SafetensorsFile::parse(joule::io::encode_safetensors(named), again);
    if (!reparsed.ok()) fail("our own encoding is refused:", reparsed.message());
    if (again.tensors().size() != named.size()) fail("round trip changed the tensor count");
    for (const joule::io::NamedTensor& tensor : named) {
      const joule::TensorData* found = again.find(tensor.name);
      if (found == nullptr || found->data == nullptr) fail("round trip lost", tensor.name);
      if (found->elements() != tensor.values.size()) fail("round trip changed the size of", tensor.name);
      for (std::size_t i = 0; i < tensor.values.size(); ++i)
        if (bits_of(found->values<float>()[i]) != bits_of(tensor.values[i]))
          fail("round trip changed a value of", tensor.name);
    }
  }
  volatile std::uint64_t keep = sink;
  (void)keep;
  return 0;
}
