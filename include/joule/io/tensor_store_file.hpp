// A TensorStore as a safetensors file, and back: F32, I8, U8 and I32 tensors under their names,
// with "__metadata__" strings, the header padded to an 8-byte boundary. How `joule quantize`
// writes a quantized network and calibration results. Hosted only (nlohmann-json).
#pragma once

#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"
#include "joule/io/file.hpp"
#include "joule/io/safetensors.hpp"
#include "joule/io/tensor_store.hpp"

namespace joule::inline JOULE_TARGET::io {

inline std::string_view safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "F32";
    case DType::i8:
      return "I8";
    case DType::u8:
      return "U8";
    case DType::i32:
      return "I32";
  }
  return "F32";
}

inline Status write_tensor_store(const std::string& path, const TensorStore& store,
                                 const std::map<std::string, std::string>& metadata = {}) {
  try {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < store.size(); ++i) {
      const TensorStore::Entry& entry = store[i];
      std::uint64_t count = 1;
      for (std::int64_t d : entry.shape) count *= static_cast<std::uint64_t>(d);
      const std::uint64_t bytes = count * size_of(entry.dtype);
      nlohmann::json item = nlohmann::json::object();
      item["dtype"] = std::string(safetensors_dtype_name(entry.dtype));
      item["shape"] = entry.shape;
      item["data_offsets"] = nlohmann::json::array({offset, offset + bytes});
      header[entry.name] = std::move(item);
      offset += bytes;
    }
    std::string text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.append((8 - text.size() % 8) % 8, ' ');
    std::vector<unsigned char> file(8 + text.size() + offset);
    const std::uint64_t length = text.size();
    for (int i = 0; i < 8; ++i)
      file[static_cast<std::size_t>(i)] = static_cast<unsigned char>(length >> (8 * i));
    std::memcpy(file.data() + 8, text.data(), text.size());
    unsigned char* data = file.data() + 8 + text.size();
    for (std::size_t i = 0; i < store.size(); ++i) {
      const TensorStore::Entry& entry = store[i];
      std::uint64_t count = 1;
      for (std::int64_t d : entry.shape) count *= static_cast<std::uint64_t>(d);
      const std::size_t bytes = static_cast<std::size_t>(count * size_of(entry.dtype));
      if (bytes != 0) std::memcpy(data, entry.bytes.data(), bytes);
      data += bytes;
    }
    return write_file(path, file);
  } catch (const std::exception&) {
    return Status::error(ErrorCode::io_error, "out of memory writing ").append(path);
  }
}

}  // namespace joule::inline JOULE_TARGET::io
