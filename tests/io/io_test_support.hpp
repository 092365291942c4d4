// Helpers for the io tests: safetensors files built entry by entry (any dtype, any offsets, any
// header text), raw little-endian bytes, and a scratch directory that cleans up after itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace iotest {

using Bytes = std::vector<unsigned char>;

inline Bytes float_bytes(std::initializer_list<float> values) {
  Bytes bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}
inline Bytes float_bytes(const std::vector<float>& values) {
  Bytes bytes(values.size() * 4);
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}
inline Bytes u16_bytes(std::initializer_list<std::uint16_t> values) {
  Bytes bytes;
  for (std::uint16_t v : values) {
    bytes.push_back(static_cast<unsigned char>(v & 0xff));
    bytes.push_back(static_cast<unsigned char>(v >> 8));
  }
  return bytes;
}
inline Bytes i64_bytes(std::initializer_list<std::int64_t> values) {
  Bytes bytes(values.size() * 8);
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}
inline Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }
inline Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// A whole file from a header text and a data section; the length field says the header's size
/// unless `length` is given.
inline Bytes safetensors_bytes(std::string_view header, const Bytes& data = {}, std::uint64_t length = ~0ull) {
  if (length == ~0ull) length = header.size();
  // Reserved up front and appended element by element: GCC 12 at -O2 reports a false
  // -Warray-bounds for vector::insert after a small fixed-size vector.
  Bytes bytes;
  bytes.reserve(8 + header.size() + data.size());
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(length >> (8 * i)));
  for (char c : header) bytes.push_back(static_cast<unsigned char>(c));
  for (unsigned char b : data) bytes.push_back(b);
  return bytes;
}

struct Entry {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  Bytes bytes;
};

/// A well-formed file: entries laid out in order, the header padded with `padding` spaces (to
/// place the data section at a chosen alignment).
inline Bytes make_safetensors(const std::vector<Entry>& entries, const nlohmann::json& metadata = nullptr,
                              std::size_t padding = 0) {
  nlohmann::json header = nlohmann::json::object();
  std::uint64_t offset = 0;
  Bytes data;
  for (const Entry& entry : entries) {
    header[entry.name] = {{"dtype", entry.dtype},
                          {"shape", entry.shape},
                          {"data_offsets", {offset, offset + entry.bytes.size()}}};
    offset += entry.bytes.size();
    data.insert(data.end(), entry.bytes.begin(), entry.bytes.end());
  }
  if (!metadata.is_null()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append(padding, ' ');
  return safetensors_bytes(text, data);
}

/// A fresh directory under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("joule_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(std::string_view name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace iotest
