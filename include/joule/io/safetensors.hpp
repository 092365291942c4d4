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
// involved. The header is read as a stream of JSON events (never built as a JSON tree) with every
// limit checked as it is read, so a hostile header costs memory in proportion to what is kept
// and one pass over at most 16 MiB. No exception leaves this header. Hosted only (heap,
// nlohmann-json).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "joule/core/dtype.hpp"
#include "joule/core/status.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_data.hpp"
#include "joule/graph/bind.hpp"
#include "joule/io/file.hpp"
#include "joule/io/half.hpp"

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

/// Limits a header must keep to, each enforced while the header is read, so that whatever a file
/// holds, parsing it costs memory in proportion to the header (and the header at most this much)
/// and one pass over its bytes. docs/io.md gives the reasons for each number.
/// A header above this size is taken as a corrupt or hostile file and not read: 16 MiB, some 130
/// times the header of EfficientNet-B7's weights (121 KB; the reference implementation allows
/// 100 MB).
inline constexpr std::uint64_t safetensors_max_header = std::uint64_t{16} << 20;
/// TensorData holds this many dimensions.
inline constexpr std::size_t safetensors_max_rank = 8;
/// Tensors in one file (the zoo's largest state_dict, EfficientNet-B7's, has 1,200).
inline constexpr std::size_t safetensors_max_tensors = 100'000;
/// Bytes in a tensor name or any other key (the zoo's longest name has 43).
inline constexpr std::size_t safetensors_max_key = 1024;
/// Strings in "__metadata__" (writers put a handful there).
inline constexpr std::size_t safetensors_max_metadata = 1024;
/// Keys in one tensor's entry: dtype, shape and data_offsets, and a few that joule ignores.
inline constexpr std::size_t safetensors_max_entry_keys = 16;
/// Arrays and objects open at once: the root object, an entry, an entry's shape or offsets.
inline constexpr std::size_t safetensors_max_depth = 3;

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

/// The 8-byte length field against the file's first bytes: a file too short to hold it, or a
/// length above the limit. Needs only the first 8 bytes, so load() runs it before reading the
/// rest of the file.
inline Status check_safetensors_length(std::span<const unsigned char> head,
                                       std::uint64_t& header_size) {
  if (head.size() < 8) {
    return Status::error(ErrorCode::format_error, "safetensors: file has ")
        .append(static_cast<std::uint64_t>(head.size()))
        .append(" bytes, fewer than the 8-byte header length");
  }
  header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | head[static_cast<std::size_t>(i)];
  if (header_size > safetensors_max_header) {
    return Status::error(ErrorCode::format_error, "safetensors: header length ")
        .append(header_size)
        .append(" above the limit of ")
        .append(safetensors_max_header)
        .append(" bytes");
  }
  return Status::success();
}

/// One JSON value as the parser announces it: a scalar, or the start of an array or object.
struct JsonEvent {
  enum Type {
    null_value,
    boolean,
    signed_number,
    unsigned_number,
    float_number,
    string,
    array,
    object
  };
  Type type = null_value;
  std::int64_t signed_value = 0;
  std::uint64_t unsigned_value = 0;
  std::string* text = nullptr;  // for a string: the parser's buffer, which the reader may take

  bool container() const { return type == array || type == object; }
  /// nlohmann-json's name for the type, as messages have always said it.
  std::string_view type_name() const {
    constexpr std::string_view names[] = {"null",   "boolean", "number", "number",
                                          "number", "string",  "array",  "object"};
    return names[type];
  }
  /// A non-negative integer (a dimension or an offset).
  bool count(std::uint64_t& out) const {
    if (type == unsigned_number) {
      out = unsigned_value;
      return true;
    }
    if (type == signed_number && signed_value >= 0) {
      out = static_cast<std::uint64_t>(signed_value);
      return true;
    }
    return false;
  }
  /// How a value that should have been a count looks, for a message: the number, or its type.
  void append_found(Status& status) const {
    if (type == signed_number)
      status.append(signed_value);
    else if (type == unsigned_number)
      status.append(unsigned_value);
    else if (type == float_number)
      status.append("a non-integer number");
    else
      status.append("a JSON ").append(type_name());
  }
};

/// Reads a safetensors header as the stream of events of nlohmann-json's SAX interface, keeping
/// only what the file object needs (names, dtypes, at most 8 dimensions and two offsets per
/// tensor, the metadata strings) and checking every limit as each event arrives. Nothing of a
/// refused part is kept: after the first refusal the reader only lets the parser run to the end,
/// so that malformed JSON anywhere in the header is what the message names, as it always was.
/// The parser itself keeps one bit per open array or object and the token it is reading.
class SafetensorsHeaderReader {
 public:
  using json = nlohmann::json;

  SafetensorsHeaderReader(std::uint64_t header_size, std::uint64_t data_size)
      : header_size_(header_size), data_size_(data_size) {}

  std::vector<SafetensorsTensor> tensors;  // in file order
  std::vector<std::size_t> dtypes;         // index into safetensors_dtypes, parallel to tensors
  std::map<std::string, std::string> metadata;

  /// Malformed JSON if the header has it anywhere, else the first refusal in reading order.
  const Status& status() const { return syntax_.ok() ? refusal_ : syntax_; }

  // The SAX interface (nlohmann::json_sax). Every event answers true, so the parser always reads
  // to the end or to its first syntax error.
  bool null() { return value({JsonEvent::null_value}); }
  bool boolean(bool) { return value({JsonEvent::boolean}); }
  bool number_integer(json::number_integer_t number) {
    return value({JsonEvent::signed_number, number});
  }
  bool number_unsigned(json::number_unsigned_t number) {
    return value({JsonEvent::unsigned_number, 0, number});
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return value({JsonEvent::float_number});
  }
  bool string(json::string_t& text) { return value({JsonEvent::string, 0, 0, &text}); }
  bool binary(json::binary_t&) { return value({JsonEvent::null_value}); }  // JSON text has none
  bool start_object(std::size_t) { return value({JsonEvent::object}); }
  bool start_array(std::size_t) { return value({JsonEvent::array}); }
  bool end_object() { return end(); }
  bool end_array() { return end(); }
  bool key(json::string_t& name);
  bool parse_error(std::size_t at, const std::string&, const nlohmann::detail::exception& error);

 private:
  /// What an open array or object is.
  enum class Open : unsigned char { root, entry, metadata, shape, offsets, ignored };
  /// Which of an entry's fields the next value belongs to.
  enum class Field : unsigned char { dtype, shape, offsets, other };

  /// The entry being read.
  struct Entry {
    std::vector<std::string> keys;  // at most safetensors_max_entry_keys, for duplicates
    std::string dtype;
    bool has_dtype = false, has_shape = false, has_offsets = false;
    std::uint64_t rank = 0;                                 // dimensions seen
    std::array<std::int64_t, safetensors_max_rank> dims{};  // the first 8 of them
    bool bad_dimension = false;                             // the first bad one:
    std::size_t bad_index = 0;
    JsonEvent bad_value;
    std::size_t offset_count = 0;
    bool bad_offset = false;
    std::array<std::uint64_t, 2> offsets{};
  };

  bool refused() const { return !refusal_.ok(); }
  bool refuse(Status status) {
    refusal_ = status;
    return true;
  }
  bool push(Open open) {
    open_[depth_++] = open;
    return true;
  }
  bool value(const JsonEvent& event);
  bool field_value(const JsonEvent& event);
  bool end();
  void finish_entry();

  std::uint64_t header_size_, data_size_;
  std::array<Open, safetensors_max_depth> open_{};
  std::size_t depth_ = 0;
  std::string name_;  // the key of the root's value being read: a tensor or "__metadata__"
  bool reading_metadata_ = false, seen_metadata_ = false;
  std::string metadata_key_;
  Field field_ = Field::other;
  Entry entry_;
  Status refusal_, syntax_;
};

inline bool SafetensorsHeaderReader::value(const JsonEvent& event) {
  if (refused()) return true;
  if (depth_ == 0) {
    if (event.type != JsonEvent::object) {
      return refuse(Status::error(ErrorCode::format_error, "safetensors header: a JSON ")
                        .append(event.type_name())
                        .append(", not an object"));
    }
    return push(Open::root);
  }
  if (event.container() && depth_ == safetensors_max_depth) {
    return refuse(
        Status::error(ErrorCode::format_error,
                      "safetensors header: arrays or objects nested more than 3 levels deep "
                      "(an entry's fields hold numbers and strings only)"));
  }
  Entry& entry = entry_;
  switch (open_[depth_ - 1]) {
    case Open::root:
      if (reading_metadata_) {
        if (event.type != JsonEvent::object) {
          return refuse(
              Status::error(ErrorCode::format_error, "safetensors header: __metadata__ is a JSON ")
                  .append(event.type_name())
                  .append(", not an object of strings"));
        }
        return push(Open::metadata);
      }
      if (event.type != JsonEvent::object) {
        Status status = tensor_error(name_, "entry is a JSON ");
        return refuse(status.append(event.type_name()).append(", not an object"));
      }
      entry = Entry();
      return push(Open::entry);
    case Open::metadata: {
      if (event.type != JsonEvent::string) {
        Status status =
            Status::error(ErrorCode::format_error, "safetensors header: __metadata__ value of '");
        append_quoted(status, metadata_key_);
        return refuse(
            status.append("' is a JSON ").append(event.type_name()).append(", not a string"));
      }
      if (!metadata.try_emplace(std::move(metadata_key_), std::move(*event.text)).second) {
        Status status =
            Status::error(ErrorCode::format_error, "safetensors header: duplicate key '");
        append_quoted(status, metadata_key_);
        return refuse(status.append("'"));
      }
      return true;
    }
    case Open::entry:
      return field_value(event);
    case Open::shape: {
      // Dimensions past the 8th are counted for the message, not kept.
      const std::uint64_t index = entry.rank++;
      if (index >= safetensors_max_rank) return true;
      std::uint64_t dim = 0;
      if (!event.count(dim) || dim > static_cast<std::uint64_t>(INT64_MAX)) {
        if (!entry.bad_dimension) {
          entry.bad_dimension = true;
          entry.bad_index = static_cast<std::size_t>(index);
          entry.bad_value = event;
          entry.bad_value.text = nullptr;
        }
        return true;
      }
      entry.dims[static_cast<std::size_t>(index)] = static_cast<std::int64_t>(dim);
      return true;
    }
    case Open::offsets: {
      std::uint64_t offset = 0;
      if (!event.count(offset))
        entry.bad_offset = true;
      else if (entry.offset_count < 2)
        entry.offsets[entry.offset_count] = offset;
      ++entry.offset_count;
      return true;
    }
    case Open::ignored:
      return true;
  }
  return true;
}

/// A value of one of an entry's fields. A field of the wrong type is remembered as missing
/// (finish_entry() names it); arrays and objects that joule does not read are skipped, their
/// contents unread but for the nesting limit.
inline bool SafetensorsHeaderReader::field_value(const JsonEvent& event) {
  Entry& entry = entry_;
  switch (field_) {
    case Field::dtype:
      if (event.type == JsonEvent::string) {
        entry.dtype = std::move(*event.text);
        entry.has_dtype = true;
      }
      break;
    case Field::shape:
      if (event.type == JsonEvent::array) {
        entry.has_shape = true;
        return push(Open::shape);
      }
      break;
    case Field::offsets:
      if (event.type == JsonEvent::array) {
        entry.has_offsets = true;
        return push(Open::offsets);
      }
      break;
    case Field::other:
      break;
  }
  return event.container() ? push(Open::ignored) : true;
}

inline bool SafetensorsHeaderReader::key(json::string_t& name) {
  if (refused()) return true;
  if (name.size() > safetensors_max_key) {
    Status status = Status::error(ErrorCode::format_error, "safetensors header: a key of ");
    status.append(static_cast<std::uint64_t>(name.size()))
        .append(" bytes, above the limit of ")
        .append(static_cast<std::uint64_t>(safetensors_max_key))
        .append(" ('");
    append_quoted(status, name, 32);
    return refuse(status.append("')"));
  }
  const auto duplicate = [&](std::string_view key) {
    Status status = Status::error(ErrorCode::format_error, "safetensors header: duplicate key '");
    append_quoted(status, key);
    return refuse(status.append("'"));
  };
  switch (open_[depth_ - 1]) {
    case Open::root:
      reading_metadata_ = name == "__metadata__";
      if (reading_metadata_) {
        if (seen_metadata_) return duplicate(name);
        seen_metadata_ = true;
      } else if (tensors.size() == safetensors_max_tensors) {
        return refuse(Status::error(ErrorCode::format_error, "safetensors header: more than ")
                          .append(static_cast<std::uint64_t>(safetensors_max_tensors))
                          .append(" tensors, the most joule reads from one file"));
      }
      name_ = std::move(name);
      return true;
    case Open::metadata:
      if (metadata.size() == safetensors_max_metadata) {
        return refuse(Status::error(ErrorCode::format_error,
                                    "safetensors header: __metadata__ has more than ")
                          .append(static_cast<std::uint64_t>(safetensors_max_metadata))
                          .append(" strings"));
      }
      metadata_key_ = std::move(name);
      return true;
    case Open::entry: {
      Entry& entry = entry_;
      for (const std::string& seen : entry.keys)
        if (seen == name) return duplicate(name);
      if (entry.keys.size() == safetensors_max_entry_keys) {
        Status status = tensor_error(name_, "entry has more than ");
        return refuse(status.append(static_cast<std::uint64_t>(safetensors_max_entry_keys))
                          .append(" keys (it holds dtype, shape and data_offsets)"));
      }
      field_ = name == "dtype"          ? Field::dtype
               : name == "shape"        ? Field::shape
               : name == "data_offsets" ? Field::offsets
                                        : Field::other;
      entry.keys.push_back(std::move(name));
      return true;
    }
    default:  // a key inside a field joule does not read
      return true;
  }
}

inline bool SafetensorsHeaderReader::end() {
  if (refused()) return true;
  const Open closed = open_[--depth_];
  if (closed == Open::entry) finish_entry();
  return true;
}

inline bool SafetensorsHeaderReader::parse_error(std::size_t at, const std::string&,
                                                 const nlohmann::detail::exception& error) {
  // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..." ->
  // keep what follows the location. The parser counts the end of input as one more character.
  const std::string_view what = error.what();
  const std::size_t column = what.find("column ");
  const std::size_t colon = column == std::string_view::npos ? column : what.find(": ", column);
  const std::string_view reason = colon == std::string_view::npos ? what : what.substr(colon + 2);
  const std::uint64_t near = std::min<std::uint64_t>(at, header_size_);
  syntax_ = Status::error(ErrorCode::format_error, "safetensors header: malformed JSON near byte ");
  syntax_.append(near).append(" of ").append(header_size_).append(": ");
  append_quoted(syntax_, reason, 160);
  return false;
}

/// The checks of one complete entry, in the order the messages have always come in.
inline void SafetensorsHeaderReader::finish_entry() {
  const Entry& entry = entry_;
  const std::string& name = name_;
  if (!entry.has_dtype) {
    refuse(tensor_error(name, "'dtype' missing or not a string"));
    return;
  }
  std::size_t dtype = 0;
  while (dtype < std::size(safetensors_dtypes) && safetensors_dtypes[dtype].name != entry.dtype)
    ++dtype;
  if (dtype == std::size(safetensors_dtypes)) {
    Status status = tensor_error(name, "unknown dtype '", ErrorCode::type_mismatch);
    append_quoted(status, entry.dtype, 32);
    refuse(status.append("' (known: ").append(safetensors_dtype_list).append(")"));
    return;
  }
  if (!entry.has_shape) {
    refuse(tensor_error(name, "'shape' missing or not an array"));
    return;
  }
  if (entry.rank > safetensors_max_rank) {
    refuse(tensor_error(name, "rank ")
               .append(entry.rank)
               .append(" above ")
               .append(static_cast<std::uint64_t>(safetensors_max_rank))
               .append(", the most joule holds"));
    return;
  }
  if (entry.bad_dimension) {
    Status status = tensor_error(name, "shape dimension ");
    status.append(static_cast<std::uint64_t>(entry.bad_index))
        .append(" is not a non-negative 64-bit integer (found ");
    entry.bad_value.append_found(status);
    refuse(status.append(")"));
    return;
  }
  const std::vector<std::int64_t> shape(
      entry.dims.begin(), entry.dims.begin() + static_cast<std::ptrdiff_t>(entry.rank));
  std::uint64_t elements = 1;
  bool overflow = false;
  for (std::int64_t dim : shape)
    if (!checked_multiply(elements, static_cast<std::uint64_t>(dim), elements)) overflow = true;
  // A zero dimension makes the count zero even when the others overflow on the way.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) {
    elements = 0;
    overflow = false;
  }
  std::uint64_t byte_size = 0;
  if (overflow || !checked_multiply(elements, safetensors_dtypes[dtype].bytes, byte_size)) {
    Status status = tensor_error(name, "shape ");
    append_dims(status, shape);
    refuse(status.append(" of ")
               .append(std::string_view(entry.dtype))
               .append(" overflows 64-bit byte counts"));
    return;
  }
  if (!entry.has_offsets || entry.offset_count != 2 || entry.bad_offset) {
    refuse(tensor_error(name, "'data_offsets' missing or not two non-negative integers"));
    return;
  }
  const std::uint64_t begin = entry.offsets[0], end = entry.offsets[1];
  if (begin > end) {
    refuse(tensor_error(name, "data_offsets [")
               .append(begin)
               .append(", ")
               .append(end)
               .append("] begin after they end"));
    return;
  }
  if (end - begin != byte_size) {
    Status status = tensor_error(name, "shape ");
    append_dims(status, shape);
    status.append(" of ").append(std::string_view(entry.dtype)).append(" is ").append(byte_size);
    refuse(status.append(" bytes but data_offsets [")
               .append(begin)
               .append(", ")
               .append(end)
               .append("] hold ")
               .append(end - begin));
    return;
  }
  if (end > data_size_) {
    refuse(tensor_error(name, "data_offsets [")
               .append(begin)
               .append(", ")
               .append(end)
               .append("] run past the data section of ")
               .append(data_size_)
               .append(" bytes (truncated file?)"));
    return;
  }
  SafetensorsTensor tensor;
  tensor.name = std::move(name_);
  tensor.dtype = entry.dtype;
  tensor.shape = shape;
  tensor.begin = static_cast<std::size_t>(begin);
  tensor.end = static_cast<std::size_t>(end);
  tensors.push_back(std::move(tensor));
  dtypes.push_back(dtype);
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

  /// Reads and parses the file at `path`. A length field that parse() would refuse is refused
  /// after reading 8 bytes, whatever the size of the file.
  static Status load(const std::string& path, SafetensorsFile& out) {
    out = SafetensorsFile();
    std::vector<unsigned char> bytes;
    if (Status status = read_file_head(path, 8, bytes); !status.ok()) return status;
    std::uint64_t header_size = 0;
    if (Status status = detail::check_safetensors_length(bytes, header_size); !status.ok())
      return detail::prefix_path(path, status);
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
    std::vector<float>
        converted;  // F16 / BF16 values as float32, or F32 / I32 copied for alignment
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

  std::vector<unsigned char> bytes_;
  std::size_t data_start_ = 0;
  std::vector<SafetensorsTensor> tensors_;
  std::vector<Slot> slots_;            // parallel to tensors_
  std::vector<std::size_t> by_name_;   // indices into tensors_, sorted by name
  std::map<std::string, std::string> metadata_;
};

inline Status SafetensorsFile::parse_bytes() {
  const std::uint64_t file_size = bytes_.size();
  std::uint64_t header_size = 0;
  if (Status status = detail::check_safetensors_length(bytes_, header_size); !status.ok())
    return status;
  if (header_size > file_size - 8) {
    return Status::error(ErrorCode::format_error, "safetensors: header length ")
        .append(header_size).append(" runs past the end of the file (header would end at byte ")
        .append(header_size + 8).append(", file has ").append(file_size).append(" bytes)");
  }
  const unsigned char* header = bytes_.data() + 8;
  const std::size_t header_length = static_cast<std::size_t>(header_size);
  data_start_ = 8 + header_length;
  const std::uint64_t data_size = file_size - data_start_;

  // nlohmann-json skips a byte-order mark; the format does not allow one.
  if (header_length >= 3 && header[0] == 0xef && header[1] == 0xbb && header[2] == 0xbf) {
    return Status::error(
        ErrorCode::format_error,
        "safetensors header: starts with a UTF-8 byte-order mark (EF BB BF), which the "
        "format does not allow");
  }
  if (const std::size_t bad = detail::invalid_utf8_offset(header, header_length); bad != header_length) {
    Status status = Status::error(ErrorCode::format_error, "safetensors header: not UTF-8 (byte ");
    detail::append_quoted(status, std::string_view(reinterpret_cast<const char*>(header + bad), 1));
    return status.append(" at header offset ").append(static_cast<std::uint64_t>(bad)).append(')');
  }

  detail::SafetensorsHeaderReader reader(header_size, data_size);
  const bool parsed = nlohmann::json::sax_parse(header, header + header_length, &reader);
  if (!reader.status().ok()) return reader.status();
  if (!parsed)
    return Status::error(ErrorCode::format_error, "safetensors header: refused by the JSON parser");
  metadata_ = std::move(reader.metadata);

  // tensors() is in data-offset order, by_name_ in name order; the data section must be tiled
  // exactly: sorted by offset, each tensor starts where the bytes before it end.
  std::vector<std::size_t> order(reader.tensors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const SafetensorsTensor& x = reader.tensors[a];
    const SafetensorsTensor& y = reader.tensors[b];
    return std::tie(x.begin, x.end, x.name) < std::tie(y.begin, y.end, y.name);
  });
  tensors_.reserve(order.size());
  slots_.reserve(order.size());
  for (std::size_t index : order) {
    tensors_.push_back(std::move(reader.tensors[index]));
    const SafetensorsTensor& tensor = tensors_.back();
    Slot slot;
    slot.dtype = reader.dtypes[index];
    slot.data.rank = static_cast<int>(tensor.shape.size());
    for (std::size_t i = 0; i < tensor.shape.size(); ++i) slot.data.dims[i] = tensor.shape[i];
    slots_.push_back(std::move(slot));
  }

  by_name_.resize(tensors_.size());
  for (std::size_t i = 0; i < by_name_.size(); ++i) by_name_[i] = i;
  std::sort(by_name_.begin(), by_name_.end(),
            [&](std::size_t a, std::size_t b) { return tensors_[a].name < tensors_[b].name; });
  // A repeated name: JSON parsers disagree on which one wins, so neither is trusted.
  for (std::size_t i = 1; i < by_name_.size(); ++i) {
    const std::string& name = tensors_[by_name_[i]].name;
    if (name == tensors_[by_name_[i - 1]].name) {
      Status status = Status::error(ErrorCode::format_error, "safetensors header: duplicate key '");
      detail::append_quoted(status, name);
      return status.append("'");
    }
  }

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
