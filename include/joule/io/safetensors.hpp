// The safetensors reader: a weight source for bind_weights (see graph/bind.hpp) that gives F32,
// F16, BF16 (as float32), I32, I8 and U8 tensors, and a small float32 writer for tests and tools.
//
// A safetensors file is a little-endian u64 header length N, N bytes of JSON, then the data
// section. The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets into the data section) and may hold "__metadata__", an object of strings.
//
// Files come from anywhere, so parsing assumes nothing: every size is checked against the file
// and for overflow, the tensors must tile the data section exactly (no overlaps, no holes, as the
// format requires), and every refusal is a Status naming the part of the file and the numbers
// involved. No exception leaves this header. Hosted only (heap, nlohmann-json).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "joule/core/dtype.hpp"
#include "joule/core/status.hpp"
#include "joule/core/tensor_data.hpp"
#include "joule/graph/bind.hpp"
#include "joule/io/file.hpp"
#include "joule/io/half.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::io {

static_assert(std::endian::native == std::endian::little,
              "joule::io reads little-endian files in place: little-endian hosts only");

struct SafetensorsTensor {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::size_t begin = 0, end = 0;  // byte range in the data section
};

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

namespace detail {

struct SafetensorsDtype {
  std::string_view name;
  std::size_t bytes;
  bool integer;
  // What find() answers when a copy cannot be allocated: binding then names the tensor and the
  // reason instead of calling it missing.
  std::string_view out_of_memory;
  // The DType find() gives the tensor as, if any (F16 and BF16 are converted to float32).
  std::optional<DType> joule_dtype;
};

inline constexpr SafetensorsDtype safetensors_dtypes[] = {
    {"F64", 8, false, {}, std::nullopt},
    {"F32", 4, false, "F32 (out of memory for an aligned copy)", DType::f32},
    {"F16", 2, false, "F16 (out of memory converting to float32)", DType::f32},
    {"BF16", 2, false, "BF16 (out of memory converting to float32)", DType::f32},
    {"I64", 8, true, {}, std::nullopt},
    {"I32", 4, true, "I32 (out of memory for an aligned copy)", DType::i32},
    {"I16", 2, true, {}, std::nullopt},
    {"I8", 1, true, {}, DType::i8},
    {"U8", 1, true, {}, DType::u8},
    {"BOOL", 1, false, {}, std::nullopt},
};
inline constexpr std::string_view safetensors_dtype_list = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

/// The format's limit on the header (as the reference implementation): a larger length is taken
/// as a corrupt or hostile file rather than read.
inline constexpr std::uint64_t safetensors_max_header = 100'000'000;
/// TensorData holds this many dimensions.
inline constexpr std::size_t safetensors_max_rank = 8;

/// The offset of the first byte that is not well-formed UTF-8 (overlong forms, surrogates and
/// code points above U+10FFFF are not), or `size` when all are.
inline std::size_t invalid_utf8_offset(const unsigned char* text, std::size_t size) {
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = text[i];
    std::size_t continuation = 0;
    unsigned char low = 0x80, high = 0xbf;  // the range of the first continuation byte
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      continuation = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      continuation = 2;
      if (lead == 0xe0) low = 0xa0;   // overlong
      if (lead == 0xed) high = 0x9f;  // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuation = 3;
      if (lead == 0xf0) low = 0x90;   // overlong
      if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
    } else {
      return i;
    }
    if (size - i <= continuation) return i;
    if (text[i + 1] < low || text[i + 1] > high) return i;
    for (std::size_t k = 2; k <= continuation; ++k)
      if (text[i + k] < 0x80 || text[i + k] > 0xbf) return i;
    i += continuation + 1;
  }
  return size;
}

/// Finds where and why nlohmann-json refused a text, for the message; a SAX handler that builds
/// nothing, so the second pass over a bad header costs no memory.
struct JsonErrorLocator {
  using json = nlohmann::json;
  std::size_t position = 0;
  std::string reason;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(json::string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t at, const std::string&, const nlohmann::detail::exception& error) {
    position = at;
    // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..." ->
    // keep what follows the location.
    const std::string_view what = error.what();
    const std::size_t column = what.find("column ");
    const std::size_t colon = column == std::string_view::npos ? column : what.find(": ", column);
    reason = std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
    return false;
  }
};

inline void append_dims(Status& status, const std::vector<std::int64_t>& dims) {
  status.append('[');
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i != 0) status.append(", ");
    status.append(dims[i]);
  }
  status.append(']');
}

inline Status tensor_error(std::string_view name, std::string_view what,
                           ErrorCode code = ErrorCode::format_error) {
  Status status = Status::error(code, "safetensors tensor '");
  append_quoted(status, name);
  status.append("': ").append(what);
  return status;
}

/// A JSON number that is a non-negative integer, as read from shapes and offsets.
inline bool json_count(const nlohmann::json& value, std::uint64_t& out) {
  if (value.is_number_unsigned()) {
    out = value.get<std::uint64_t>();
    return true;
  }
  if (value.is_number_integer()) {
    const auto signed_value = value.get<std::int64_t>();
    if (signed_value < 0) return false;
    out = static_cast<std::uint64_t>(signed_value);
    return true;
  }
  return false;
}

/// How a value that should have been a count looks, for a message: the number, or its type.
inline void append_json_found(Status& status, const nlohmann::json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned())
      status.append(value.get<std::uint64_t>());
    else
      status.append(value.get<std::int64_t>());
  } else if (value.is_number_float()) {
    status.append("a non-integer number");
  } else {
    status.append("a JSON ").append(std::string_view(value.type_name()));
  }
}

}  // namespace detail

/// A parsed safetensors file that owns its bytes. Move-only: find() hands out pointers into it.
class SafetensorsFile {
 public:
  SafetensorsFile() = default;
  SafetensorsFile(SafetensorsFile&&) noexcept = default;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept = default;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  /// Checks the whole file and takes ownership of its bytes. On failure `out` is left empty.
  static Status parse(std::vector<unsigned char> bytes, SafetensorsFile& out) {
    out = SafetensorsFile();
    SafetensorsFile file;
    Status status;
    try {
      file.bytes_ = std::move(bytes);
      status = file.parse_bytes();
    } catch (const std::bad_alloc&) {
      status = Status::error(ErrorCode::io_error, "safetensors: out of memory parsing the header");
    } catch (const std::exception& error) {
      // Not expected: every JSON access is type-checked first. Reported, never thrown (the fuzz
      // harnesses treat this message as a crash).
      status = Status::error(ErrorCode::format_error, "safetensors: internal error: ");
      detail::append_quoted(status, error.what(), 120);
    }
    if (status.ok()) out = std::move(file);
    return status;
  }

  static Status load(const std::string& path, SafetensorsFile& out) {
    out = SafetensorsFile();
    std::vector<unsigned char> bytes;
    if (Status status = read_file(path, bytes); !status.ok()) return status;
    return detail::prefix_path(path, parse(std::move(bytes), out));
  }

  /// In data-offset order.
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }

  const SafetensorsTensor* tensor(std::string_view name) const {
    const std::size_t index = index_of(name);
    return index == npos ? nullptr : &tensors_[index];
  }

  /// The "__metadata__" strings.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// The TensorSource interface. F32, I32, I8 and U8 are used in place when aligned for their
  /// type and copied otherwise; F16 and BF16 are converted to float32 on first request and cached;
  /// other dtypes answer with data == nullptr and unsupported_dtype naming the dtype; an absent
  /// name answers nullptr. Pointers stay valid for the life of the object. Every name asked for is
  /// remembered.
  const TensorData* find(std::string_view name) {
    const std::size_t index = index_of(name);
    if (index == npos) return nullptr;
    Slot& slot = slots_[index];
    slot.used = true;
    if (!slot.resolved) resolve(index);
    return &slot.data;
  }

  /// Tensors never asked for through find(), in file order, leaving out integer tensors named
  /// "...num_batches_tracked": BatchNorm's step counter, which inference ignores by design.
  std::vector<std::string> unused() const {
    std::vector<std::string> names;
    try {
      for (std::size_t i = 0; i < tensors_.size(); ++i) {
        if (slots_[i].used) continue;
        const std::string_view name = tensors_[i].name;
        constexpr std::string_view counter = "num_batches_tracked";
        if (detail::safetensors_dtypes[slots_[i].dtype].integer && name.size() >= counter.size() &&
            name.substr(name.size() - counter.size()) == counter)
          continue;
        names.push_back(tensors_[i].name);
      }
    } catch (const std::bad_alloc&) {
      // Cannot list them: an empty answer is wrong, so say that something is unused.
      names.clear();
      names.shrink_to_fit();
      names.emplace_back();
    }
    return names;
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct Slot {
    TensorData data;
    std::vector<float> converted;  // F16 / BF16 values as float32, or F32 / I32 copied for alignment
    std::size_t dtype = 0;         // index into safetensors_dtypes
    bool resolved = false;
    bool used = false;
  };

  std::size_t index_of(std::string_view name) const {
    const auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                                     [&](std::size_t index, std::string_view key) { return tensors_[index].name < key; });
    return it != by_name_.end() && tensors_[*it].name == name ? *it : npos;
  }

  void resolve(std::size_t index) {
    Slot& slot = slots_[index];
    const SafetensorsTensor& tensor = tensors_[index];
    const detail::SafetensorsDtype& dtype = detail::safetensors_dtypes[slot.dtype];
    const unsigned char* bytes = bytes_.data() + data_start_ + tensor.begin;
    const std::size_t count = slot.data.elements();
    if (!dtype.joule_dtype) {
      slot.data.unsupported_dtype = dtype.name;
      slot.resolved = true;
      return;
    }
    slot.data.dtype = *dtype.joule_dtype;
    // An empty tensor has no bytes, but data == nullptr would read as "missing".
    static constexpr float no_values[1] = {0.0f};
    if (count == 0) {
      slot.data.data = no_values;
      slot.resolved = true;
      return;
    }
    const bool converts = dtype.name == "F16" || dtype.name == "BF16";
    if (!converts && reinterpret_cast<std::uintptr_t>(bytes) % dtype.bytes == 0) {
      // The bytes are the little-endian values themselves (little-endian host).
      slot.data.data = bytes;
      slot.resolved = true;
      return;
    }
    try {
      // float32 storage holds any of the 4-byte types, and the 2-byte ones converted.
      slot.converted.resize(count);
    } catch (const std::bad_alloc&) {
      slot.data.unsupported_dtype = dtype.out_of_memory;
      slot.data.data = nullptr;
      return;  // not resolved: a later call may succeed
    }
    const std::span<const unsigned char> source(bytes, tensor.end - tensor.begin);
    if (dtype.name == "F16")
      float16_bytes_to_float32(source, slot.converted.data());
    else if (dtype.name == "BF16")
      bfloat16_bytes_to_float32(source, slot.converted.data());
    else
      std::memcpy(slot.converted.data(), bytes, count * dtype.bytes);
    slot.data.data = slot.converted.data();
    slot.data.unsupported_dtype = {};
    slot.resolved = true;
  }

  Status parse_bytes();
  Status parse_entry(const std::string& name, const nlohmann::json& entry, std::uint64_t data_size);

  std::vector<unsigned char> bytes_;
  std::size_t data_start_ = 0;
  std::vector<SafetensorsTensor> tensors_;
  std::vector<Slot> slots_;            // parallel to tensors_
  std::vector<std::size_t> by_name_;   // indices into tensors_, sorted by name
  std::map<std::string, std::string> metadata_;
};

inline Status SafetensorsFile::parse_bytes() {
  using nlohmann::json;
  const std::uint64_t file_size = bytes_.size();
  if (file_size < 8) {
    return Status::error(ErrorCode::format_error, "safetensors: file has ")
        .append(file_size).append(" bytes, fewer than the 8-byte header length");
  }
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes_[static_cast<std::size_t>(i)];
  if (header_size > detail::safetensors_max_header) {
    return Status::error(ErrorCode::format_error, "safetensors: header length ")
        .append(header_size).append(" above the limit of ")
        .append(detail::safetensors_max_header).append(" bytes");
  }
  if (header_size > file_size - 8) {
    return Status::error(ErrorCode::format_error, "safetensors: header length ")
        .append(header_size).append(" runs past the end of the file (header would end at byte ")
        .append(header_size + 8).append(", file has ").append(file_size).append(" bytes)");
  }
  const unsigned char* header = bytes_.data() + 8;
  const std::size_t header_length = static_cast<std::size_t>(header_size);
  data_start_ = 8 + header_length;
  const std::uint64_t data_size = file_size - data_start_;

  if (const std::size_t bad = detail::invalid_utf8_offset(header, header_length); bad != header_length) {
    Status status = Status::error(ErrorCode::format_error, "safetensors header: not UTF-8 (byte ");
    detail::append_quoted(status, std::string_view(reinterpret_cast<const char*>(header + bad), 1));
    return status.append(" at header offset ").append(static_cast<std::uint64_t>(bad)).append(')');
  }

  // The callback sees every key (to refuse duplicates, which the DOM would silently merge) and
  // drops any array or object nested deeper than an entry's fields, so that a hostile header of
  // nested brackets costs no memory; the flag turns it into a refusal.
  std::vector<std::set<std::string, std::less<>>> open_objects;
  std::string duplicate;
  bool too_deep = false;
  const json::parser_callback_t watch = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= 3) {
          too_deep = true;
          return false;
        }
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        return true;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        return true;
      case json::parse_event_t::key:
        // Keys of dropped objects come deeper than 3 and are not checked.
        if (depth <= 3 && !open_objects.empty() && parsed.is_string()) {
          const std::string& key = parsed.get_ref<const std::string&>();
          if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
        }
        return true;
      default:
        return true;
    }
  };
  const json root = json::parse(header, header + header_length, watch, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    detail::JsonErrorLocator locator;
    const bool parsed = json::sax_parse(header, header + header_length, &locator);
    if (parsed) locator.reason = "refused by the parser";  // not expected: the first pass failed
    // The parser counts the end of input as one more character read.
    const std::uint64_t near = std::min<std::uint64_t>(locator.position, header_size);
    Status status = Status::error(ErrorCode::format_error, "safetensors header: malformed JSON near byte ");
    status.append(near).append(" of ").append(header_size).append(": ");
    detail::append_quoted(status, locator.reason, 160);
    return status;
  }
  if (!root.is_object()) {
    return Status::error(ErrorCode::format_error, "safetensors header: a JSON ")
        .append(std::string_view(root.type_name())).append(", not an object");
  }
  if (!duplicate.empty()) {
    Status status = Status::error(ErrorCode::format_error, "safetensors header: duplicate key '");
    detail::append_quoted(status, duplicate);
    return status.append("'");
  }
  if (too_deep) {
    return Status::error(ErrorCode::format_error,
                         "safetensors header: arrays or objects nested more than 3 levels deep "
                         "(an entry's fields hold numbers and strings only)");
  }

  for (const auto& [name, entry] : root.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) {
        return Status::error(ErrorCode::format_error, "safetensors header: __metadata__ is a JSON ")
            .append(std::string_view(entry.type_name())).append(", not an object of strings");
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          Status status = Status::error(ErrorCode::format_error, "safetensors header: __metadata__ value of '");
          detail::append_quoted(status, key);
          return status.append("' is a JSON ").append(std::string_view(value.type_name())).append(", not a string");
        }
        metadata_.emplace(key, value.get<std::string>());
      }
      continue;
    }
    if (Status status = parse_entry(name, entry, data_size); !status.ok()) return status;
  }

  // The data section must be tiled exactly: sorted by offset, each tensor starts where the bytes
  // before it end.
  std::vector<std::size_t> order(tensors_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const SafetensorsTensor& x = tensors_[a];
    const SafetensorsTensor& y = tensors_[b];
    return std::tie(x.begin, x.end, x.name) < std::tie(y.begin, y.end, y.name);
  });
  std::vector<SafetensorsTensor> sorted;
  std::vector<Slot> sorted_slots;
  sorted.reserve(order.size());
  sorted_slots.reserve(order.size());
  for (std::size_t index : order) {
    sorted.push_back(std::move(tensors_[index]));
    sorted_slots.push_back(slots_[index]);
  }
  tensors_ = std::move(sorted);
  slots_ = std::move(sorted_slots);

  std::uint64_t covered = 0;  // bytes [0, covered) belong to a tensor
  const SafetensorsTensor* last = nullptr;  // the tensor that ends at `covered`
  for (const SafetensorsTensor& tensor : tensors_) {
    if (tensor.begin < covered) {
      Status status = detail::tensor_error(tensor.name, "data_offsets [");
      status.append(static_cast<std::uint64_t>(tensor.begin)).append(", ").append(static_cast<std::uint64_t>(tensor.end));
      status.append("] overlap tensor '");
      detail::append_quoted(status, last->name);
      return status.append("' [").append(static_cast<std::uint64_t>(last->begin)).append(", ")
          .append(static_cast<std::uint64_t>(last->end)).append("]");
    }
    if (tensor.begin > covered) {
      Status status = Status::error(ErrorCode::format_error, "safetensors data section: bytes [");
      status.append(covered).append(", ").append(static_cast<std::uint64_t>(tensor.begin));
      status.append(") belong to no tensor (a hole, which the format forbids) before tensor '");
      detail::append_quoted(status, tensor.name);
      return status.append("'");
    }
    if (tensor.end > covered) {
      covered = tensor.end;
      last = &tensor;
    }
  }
  if (covered != data_size) {
    return Status::error(ErrorCode::format_error, "safetensors data section: ")
        .append(data_size - covered).append(" bytes after the last tensor (tensors end at byte ")
        .append(covered).append(" of ").append(data_size).append(")");
  }

  by_name_.resize(tensors_.size());
  for (std::size_t i = 0; i < by_name_.size(); ++i) by_name_[i] = i;
  std::sort(by_name_.begin(), by_name_.end(),
            [&](std::size_t a, std::size_t b) { return tensors_[a].name < tensors_[b].name; });
  return Status::success();
}

inline Status SafetensorsFile::parse_entry(const std::string& name, const nlohmann::json& entry,
                                           std::uint64_t data_size) {
  if (!entry.is_object()) {
    Status status = detail::tensor_error(name, "entry is a JSON ");
    return status.append(std::string_view(entry.type_name())).append(", not an object");
  }
  const auto dtype_field = entry.find("dtype");
  if (dtype_field == entry.end() || !dtype_field->is_string())
    return detail::tensor_error(name, "'dtype' missing or not a string");
  const std::string& dtype_name = dtype_field->get_ref<const std::string&>();
  std::size_t dtype = 0;
  while (dtype < std::size(detail::safetensors_dtypes) && detail::safetensors_dtypes[dtype].name != dtype_name) ++dtype;
  if (dtype == std::size(detail::safetensors_dtypes)) {
    Status status = detail::tensor_error(name, "unknown dtype '", ErrorCode::type_mismatch);
    detail::append_quoted(status, dtype_name, 32);
    return status.append("' (known: ").append(detail::safetensors_dtype_list).append(")");
  }

  const auto shape_field = entry.find("shape");
  if (shape_field == entry.end() || !shape_field->is_array())
    return detail::tensor_error(name, "'shape' missing or not an array");
  if (shape_field->size() > detail::safetensors_max_rank) {
    return detail::tensor_error(name, "rank ")
        .append(static_cast<std::uint64_t>(shape_field->size())).append(" above ")
        .append(static_cast<std::uint64_t>(detail::safetensors_max_rank)).append(", the most joule holds");
  }
  SafetensorsTensor tensor;
  tensor.name = name;
  tensor.dtype = dtype_name;
  std::uint64_t elements = 1;
  bool overflow = false;
  for (std::size_t i = 0; i < shape_field->size(); ++i) {
    const nlohmann::json& dim = (*shape_field)[i];
    std::uint64_t value = 0;
    if (!detail::json_count(dim, value) || value > static_cast<std::uint64_t>(INT64_MAX)) {
      Status status = detail::tensor_error(name, "shape dimension ");
      status.append(static_cast<std::uint64_t>(i)).append(" is not a non-negative 64-bit integer (found ");
      detail::append_json_found(status, dim);
      return status.append(")");
    }
    tensor.shape.push_back(static_cast<std::int64_t>(value));
    if (!detail::checked_multiply(elements, value, elements)) overflow = true;
  }
  // A zero dimension makes the count zero even when the others overflow on the way.
  if (std::find(tensor.shape.begin(), tensor.shape.end(), 0) != tensor.shape.end()) {
    elements = 0;
    overflow = false;
  }
  std::uint64_t byte_size = 0;
  if (overflow || !detail::checked_multiply(elements, detail::safetensors_dtypes[dtype].bytes, byte_size)) {
    Status status = detail::tensor_error(name, "shape ");
    detail::append_dims(status, tensor.shape);
    return status.append(" of ").append(std::string_view(dtype_name)).append(" overflows 64-bit byte counts");
  }

  const auto offsets_field = entry.find("data_offsets");
  std::uint64_t begin = 0, end = 0;
  if (offsets_field == entry.end() || !offsets_field->is_array() || offsets_field->size() != 2 ||
      !detail::json_count((*offsets_field)[0], begin) || !detail::json_count((*offsets_field)[1], end))
    return detail::tensor_error(name, "'data_offsets' missing or not two non-negative integers");
  if (begin > end) {
    return detail::tensor_error(name, "data_offsets [")
        .append(begin).append(", ").append(end).append("] begin after they end");
  }
  if (end - begin != byte_size) {
    Status status = detail::tensor_error(name, "shape ");
    detail::append_dims(status, tensor.shape);
    status.append(" of ").append(std::string_view(dtype_name)).append(" is ").append(byte_size);
    return status.append(" bytes but data_offsets [").append(begin).append(", ").append(end)
        .append("] hold ").append(end - begin);
  }
  if (end > data_size) {
    return detail::tensor_error(name, "data_offsets [")
        .append(begin).append(", ").append(end).append("] run past the data section of ")
        .append(data_size).append(" bytes (truncated file?)");
  }
  tensor.begin = static_cast<std::size_t>(begin);
  tensor.end = static_cast<std::size_t>(end);

  Slot slot;
  slot.dtype = dtype;
  slot.data.rank = static_cast<int>(tensor.shape.size());
  for (std::size_t i = 0; i < tensor.shape.size(); ++i) slot.data.dims[i] = tensor.shape[i];
  tensors_.push_back(std::move(tensor));
  slots_.push_back(std::move(slot));
  return Status::success();
}

/// A safetensors file of F32 tensors, data offsets in the given order, the header padded with
/// spaces so that the data starts on an 8-byte boundary (as the reference writer does). Writes
/// what it is given without checks (tests use this to make bad files); write_safetensors checks.
/// Names that are not UTF-8 are written with U+FFFD in their place. Empty only if out of memory.
inline std::vector<unsigned char> encode_safetensors(const std::vector<NamedTensor>& tensors) {
  try {
    nlohmann::json header = nlohmann::json::object();
    std::uint64_t offset = 0;
    for (const NamedTensor& tensor : tensors) {
      const std::uint64_t size = tensor.values.size() * sizeof(float);
      nlohmann::json entry = nlohmann::json::object();
      entry["dtype"] = "F32";
      entry["shape"] = tensor.shape;
      entry["data_offsets"] = nlohmann::json::array({offset, offset + size});
      header[tensor.name] = std::move(entry);
      offset += size;
    }
    std::string text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.append((8 - text.size() % 8) % 8, ' ');
    std::vector<unsigned char> bytes(8 + text.size() + offset);
    const std::uint64_t length = text.size();
    for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(length >> (8 * i));
    std::memcpy(bytes.data() + 8, text.data(), text.size());
    unsigned char* data = bytes.data() + 8 + text.size();
    for (const NamedTensor& tensor : tensors) {
      if (!tensor.values.empty()) std::memcpy(data, tensor.values.data(), tensor.values.size() * sizeof(float));
      data += tensor.values.size() * sizeof(float);
    }
    return bytes;
  } catch (const std::exception&) {
    return {};
  }
}

/// Writes F32 tensors to `path`, refusing what would not read back as given: names that are not
/// UTF-8, repeated or "__metadata__", negative dimensions, rank above 8, a value count that
/// disagrees with the shape.
inline Status write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  try {
    std::set<std::string_view> names;
    for (const NamedTensor& tensor : tensors) {
      const auto* text = reinterpret_cast<const unsigned char*>(tensor.name.data());
      if (detail::invalid_utf8_offset(text, tensor.name.size()) != tensor.name.size())
        return detail::tensor_error(tensor.name, "name is not UTF-8", ErrorCode::invalid_argument);
      if (tensor.name == "__metadata__" || !names.insert(tensor.name).second)
        return detail::tensor_error(tensor.name, "name repeated or reserved", ErrorCode::invalid_argument);
      if (tensor.shape.size() > detail::safetensors_max_rank)
        return detail::tensor_error(tensor.name, "rank above 8", ErrorCode::invalid_argument);
      std::uint64_t count = 1;
      bool fits = true;
      for (std::int64_t dim : tensor.shape) {
        if (dim < 0) return detail::tensor_error(tensor.name, "negative dimension", ErrorCode::invalid_argument);
        fits = fits && detail::checked_multiply(count, static_cast<std::uint64_t>(dim), count);
      }
      if (!fits || count != tensor.values.size()) {
        Status status = detail::tensor_error(tensor.name, "shape ", ErrorCode::invalid_argument);
        detail::append_dims(status, tensor.shape);
        return status.append(" disagrees with ").append(static_cast<std::uint64_t>(tensor.values.size())).append(" values");
      }
    }
    const std::vector<unsigned char> bytes = encode_safetensors(tensors);
    if (bytes.empty()) return Status::error(ErrorCode::io_error, "out of memory encoding safetensors");
    return write_file(path, bytes);
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::io_error, "out of memory encoding safetensors");
  }
}

}  // namespace joule::inline JOULE_TARGET::io
