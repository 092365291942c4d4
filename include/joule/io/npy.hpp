// NumPy .npy arrays: reading float32 and int8 arrays (test vectors, calibration inputs, quantized
// weights) and writing them exactly as numpy.save does.
//
// A .npy file is the magic "\x93NUMPY", a version (1.0 with a u16 header length; 2.0 and 3.0 with
// a u32), a header that is a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, then the raw values in C order. The header is parsed by a
// small parser for exactly that literal (never evaluated), and the data must be exactly as long
// as the shape says: a size mismatch means a damaged file. No exception leaves this header.
// Hosted only.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "joule/core/status.hpp"
#include "joule/io/file.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::io {

static_assert(std::endian::native == std::endian::little,
              "joule::io reads little-endian files in place: little-endian hosts only");

struct NpyArray {
  enum class Type { float32, int8 } type = Type::float32;
  std::vector<std::int64_t> shape;
  std::vector<float> floats;       // when float32
  std::vector<std::int8_t> int8s;  // when int8

  /// The product of the shape: 1 for a 0-d array.
  std::size_t elements() const {
    std::size_t count = 1;
    for (std::int64_t dim : shape) count *= static_cast<std::size_t>(dim);
    return count;
  }
};

namespace detail {

inline constexpr unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
/// numpy itself allows 32 (64 from numpy 2) dimensions; more is a damaged header.
inline constexpr std::size_t npy_max_rank = 64;
/// numpy's own limit when it reads a header (numpy.lib.format, max_header_size, since 1.24): a
/// float32 or int8 header with 64 dimensions of 20 digits each takes under 2,000 bytes.
inline constexpr std::uint64_t npy_max_header = 10'000;

inline void append_tuple(Status& status, std::span<const std::int64_t> shape) {
  status.append('(');
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) status.append(", ");
    status.append(shape[i]);
  }
  status.append(shape.size() == 1 ? ",)" : ")");
}

/// The header as parsed; which keys were present.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  bool has_descr = false, has_fortran_order = false, has_shape = false;
};

/// A parser for the one dict literal numpy writes, with Python's syntax for it: single or double
/// quotes, any whitespace between tokens, an optional trailing comma, and a one-element tuple
/// written "(3,)" ("(3)" is a parenthesized int in Python, not a shape).
class NpyHeaderParser {
 public:
  explicit NpyHeaderParser(std::string_view text) : text_(text) {}

  Status parse(NpyHeader& header) {
    skip_space();
    if (!consume('{')) return error("expected '{' to open the dict");
    for (;;) {
      skip_space();
      if (consume('}')) break;
      std::string key;
      if (Status status = parse_string(key, "a key"); !status.ok()) return status;
      skip_space();
      if (!consume(':')) return error("expected ':' after a key");
      skip_space();
      bool* seen = nullptr;
      if (key == "descr") {
        seen = &header.has_descr;
        if (peek() == '[') {
          return Status::error(ErrorCode::type_mismatch,
                               "npy header: 'descr' is a list (a structured dtype); joule reads "
                               "'<f4' float32 and '|i1' int8 arrays only");
        }
        if (Status status = parse_string(header.descr, "the 'descr' string"); !status.ok()) return status;
      } else if (key == "fortran_order") {
        seen = &header.has_fortran_order;
        if (consume_word("True")) {
          header.fortran_order = true;
        } else if (consume_word("False")) {
          header.fortran_order = false;
        } else {
          return error("expected True or False for 'fortran_order'");
        }
      } else if (key == "shape") {
        seen = &header.has_shape;
        if (Status status = parse_shape(header.shape); !status.ok()) return status;
      } else {
        Status status = Status::error(ErrorCode::format_error, "npy header: unexpected key '");
        append_quoted(status, key, 32);
        return status.append("' (the header holds 'descr', 'fortran_order' and 'shape' only)");
      }
      if (*seen) {
        Status status = Status::error(ErrorCode::format_error, "npy header: key '");
        return status.append(std::string_view(key)).append("' appears twice");
      }
      *seen = true;
      skip_space();
      if (consume(',')) continue;
      skip_space();
      if (consume('}')) break;
      return error("expected ',' or '}' after a value");
    }
    skip_space();  // numpy's padding: spaces and the final newline
    if (position_ != text_.size()) return error("unexpected text after the dict");
    if (!header.has_descr || !header.has_fortran_order || !header.has_shape) {
      Status status = Status::error(ErrorCode::format_error, "npy header: missing key");
      if (!header.has_descr) status.append(" 'descr'");
      if (!header.has_fortran_order) status.append(" 'fortran_order'");
      if (!header.has_shape) status.append(" 'shape'");
      return status;
    }
    return Status::success();
  }

 private:
  char peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }
  bool consume(char c) {
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }
  bool consume_word(std::string_view word) {
    if (text_.substr(position_, word.size()) != word) return false;
    const std::size_t after = position_ + word.size();
    if (after < text_.size()) {  // "Falsey" is a name, not False
      const char next = text_[after];
      if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') || next == '_')
        return false;
    }
    position_ = after;
    return true;
  }
  void skip_space() {
    while (position_ < text_.size() &&
           (text_[position_] == ' ' || text_[position_] == '\t' || text_[position_] == '\n' || text_[position_] == '\r'))
      ++position_;
  }
  Status error(std::string_view what, std::string_view what2 = {}, std::string_view what3 = {}) const {
    Status status = Status::error(ErrorCode::format_error, "npy header: ");
    status.append(what).append(what2).append(what3).append(" at header offset ").append(static_cast<std::uint64_t>(position_));
    if (position_ < text_.size()) {
      status.append(" (found '");
      append_quoted(status, text_.substr(position_, 1));
      status.append("')");
    } else {
      status.append(" (found the end)");
    }
    return status;
  }

  Status parse_string(std::string& out, std::string_view what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') return error("expected ", what, " in quotes");
    ++position_;
    const std::size_t start = position_;
    while (position_ < text_.size() && text_[position_] != quote) {
      if (text_[position_] == '\\') return error("escape sequences are not supported in the header");
      if (text_[position_] == '\n') return error("newline inside a string");
      ++position_;
    }
    if (position_ == text_.size()) return error("unterminated string");
    out.assign(text_.substr(start, position_ - start));
    ++position_;
    return Status::success();
  }

  Status parse_shape(std::vector<std::int64_t>& shape) {
    if (!consume('(')) return error("expected a tuple '(...)' for 'shape'");
    bool trailing_comma = false;
    for (;;) {
      skip_space();
      if (consume(')')) break;
      if (!shape.empty() && !trailing_comma) return error("expected ',' or ')' in 'shape'");
      std::int64_t dim = 0;
      if (Status status = parse_dimension(dim); !status.ok()) return status;
      if (shape.size() == npy_max_rank) {
        return Status::error(ErrorCode::format_error, "npy header: shape has more than ")
            .append(static_cast<std::uint64_t>(npy_max_rank)).append(" dimensions");
      }
      shape.push_back(dim);
      skip_space();
      trailing_comma = consume(',');
    }
    if (shape.size() == 1 && !trailing_comma) {
      return Status::error(ErrorCode::format_error, "npy header: 'shape' is (")
          .append(shape[0]).append("), not a tuple (a one-element tuple is written (n,))");
    }
    return Status::success();
  }

  Status parse_dimension(std::int64_t& dim) {
    const bool negative = consume('-');
    const std::size_t start = position_;
    std::uint64_t value = 0;
    bool overflow = false;
    while (position_ < text_.size() && text_[position_] >= '0' && text_[position_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text_[position_] - '0');
      if (value > (static_cast<std::uint64_t>(INT64_MAX) - digit) / 10) overflow = true;
      if (!overflow) value = value * 10 + digit;
      ++position_;
    }
    if (position_ == start) return error("expected a dimension (a non-negative integer) in 'shape'");
    if (peek() == 'L' || peek() == 'l') ++position_;  // Python 2's long suffix, in old files
    if (overflow) {
      return Status::error(ErrorCode::format_error, "npy header: dimension ")
          .append(text_.substr(start, std::min<std::size_t>(position_ - start, 40)))
          .append(" in 'shape' does not fit 64 bits");
    }
    if (negative) {
      return Status::error(ErrorCode::format_error, "npy header: negative dimension -")
          .append(value).append(" in 'shape'");
    }
    dim = static_cast<std::int64_t>(value);
    return Status::success();
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

/// The magic, the version and the header length: everything that the first 12 bytes decide, so
/// that read_npy() can refuse a bad preamble before it reads a file of any size.
inline Status parse_npy_preamble(std::span<const unsigned char> bytes, std::uint64_t& preamble,
                                 std::uint64_t& header_size) {
  const std::uint64_t size = bytes.size();
  if (size < 10) {
    return Status::error(ErrorCode::format_error, "npy: file has ").append(size)
        .append(" bytes, fewer than the 10-byte preamble");
  }
  if (std::memcmp(bytes.data(), npy_magic, sizeof npy_magic) != 0) {
    Status status = Status::error(ErrorCode::format_error, "npy: not an .npy file (starts with '");
    append_quoted(status, std::string_view(reinterpret_cast<const char*>(bytes.data()), 6));
    return status.append("', expected '\\x93NUMPY')");
  }
  const unsigned major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    return Status::error(ErrorCode::format_error, "npy: version ")
        .append(static_cast<std::uint64_t>(major)).append('.').append(static_cast<std::uint64_t>(minor))
        .append(" not supported (1.0, 2.0 and 3.0 are)");
  }
  preamble = major == 1 ? 10 : 12;
  if (size < preamble) {
    return Status::error(ErrorCode::format_error, "npy: file has ").append(size)
        .append(" bytes, fewer than the 12-byte preamble of version ").append(static_cast<std::uint64_t>(major)).append(".0");
  }
  header_size = std::uint64_t{bytes[8]} | std::uint64_t{bytes[9]} << 8;
  if (major != 1) header_size |= std::uint64_t{bytes[10]} << 16 | std::uint64_t{bytes[11]} << 24;
  if (header_size > npy_max_header) {
    return Status::error(ErrorCode::format_error, "npy: header length ")
        .append(header_size)
        .append(" above the limit of ")
        .append(npy_max_header)
        .append(" bytes");
  }
  return Status::success();
}

inline Status parse_npy_bytes(std::span<const unsigned char> bytes, NpyArray& out) {
  const std::uint64_t size = bytes.size();
  std::uint64_t preamble = 0, header_size = 0;
  if (Status status = parse_npy_preamble(bytes, preamble, header_size); !status.ok()) return status;
  if (header_size > size - preamble) {
    return Status::error(ErrorCode::format_error, "npy: header length ").append(header_size)
        .append(" runs past the end of the file (header would end at byte ").append(preamble + header_size)
        .append(", file has ").append(size).append(" bytes)");
  }

  NpyHeader header;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + preamble), static_cast<std::size_t>(header_size));
  if (Status status = NpyHeaderParser(text).parse(header); !status.ok()) return status;

  NpyArray::Type type{};
  std::string_view type_name;
  const std::string& descr = header.descr;
  if (descr == "<f4" || descr == "=f4" || descr == "f4") {
    type = NpyArray::Type::float32;
    type_name = "float32";
  } else if (descr == "|i1" || descr == "i1" || descr == "<i1" || descr == "=i1") {
    type = NpyArray::Type::int8;
    type_name = "int8";
  } else {
    Status status = Status::error(ErrorCode::type_mismatch, "npy header: dtype '");
    append_quoted(status, descr, 32);
    status.append(descr.starts_with('>') ? "' is big-endian;" : "' not supported;");
    return status.append(" joule reads '<f4' float32 and '|i1' int8 arrays");
  }
  if (header.fortran_order) {
    return Status::error(ErrorCode::format_error,
                         "npy header: fortran_order is True (column-major); joule reads C order "
                         "only (save np.ascontiguousarray(a))");
  }

  const std::uint64_t item = type == NpyArray::Type::float32 ? 4 : 1;
  std::uint64_t count = 1;
  bool overflow = false;
  bool has_zero = false;
  for (std::int64_t dim : header.shape) {
    has_zero = has_zero || dim == 0;
    if (!checked_multiply(count, static_cast<std::uint64_t>(dim), count)) overflow = true;
  }
  if (has_zero) {
    count = 0;
    overflow = false;
  }
  std::uint64_t needed = 0;
  if (overflow || !checked_multiply(count, item, needed)) {
    Status status = Status::error(ErrorCode::format_error, "npy header: shape ");
    append_tuple(status, header.shape);
    return status.append(" has more elements than 64-bit counts hold");
  }
  const std::uint64_t found = size - preamble - header_size;
  if (found != needed) {
    Status status = Status::error(ErrorCode::format_error, "npy data: expected ");
    status.append(needed).append(" bytes for shape ");
    append_tuple(status, header.shape);
    status.append(" of ").append(type_name).append(", found ").append(found);
    return status.append(found < needed ? " (truncated file?)" : " (trailing bytes)");
  }

  const unsigned char* data = bytes.data() + preamble + header_size;
  out.type = type;
  out.shape = std::move(header.shape);
  if (type == NpyArray::Type::float32) {
    out.floats.resize(static_cast<std::size_t>(count));
    if (count != 0) std::memcpy(out.floats.data(), data, static_cast<std::size_t>(needed));
  } else {
    out.int8s.resize(static_cast<std::size_t>(count));
    if (count != 0) std::memcpy(out.int8s.data(), data, static_cast<std::size_t>(needed));
  }
  return Status::success();
}

inline std::vector<unsigned char> encode_npy_bytes(std::string_view descr, const void* data, std::size_t data_bytes,
                                                   std::span<const std::int64_t> shape) {
  try {
    std::string shape_text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (i != 0) shape_text += ", ";
      shape_text += std::to_string(shape[i]);
    }
    shape_text += shape.size() == 1 ? ",)" : ")";
    std::string header = "{'descr': '";
    header.append(descr).append("', 'fortran_order': False, 'shape': ").append(shape_text).append(", }");
    // numpy leaves room to grow the first axis in place (21 digits), then pads with spaces so
    // that the data starts on a 64-byte boundary; at least one space, then the newline.
    if (!shape.empty()) {
      const std::size_t digits = std::to_string(shape[0]).size();
      if (digits < 21) header.append(21 - digits, ' ');
    }
    std::size_t preamble = 10;
    std::size_t padding = 64 - (preamble + header.size() + 1) % 64;
    if (header.size() + 1 + padding > 0xffff) {  // does not fit version 1.0's u16: numpy writes 2.0
      preamble = 12;
      padding = 64 - (preamble + header.size() + 1) % 64;
    }
    header.append(padding, ' ').append(1, '\n');

    std::vector<unsigned char> bytes(preamble + header.size() + data_bytes);
    std::memcpy(bytes.data(), npy_magic, sizeof npy_magic);
    bytes[6] = preamble == 10 ? 1 : 2;
    bytes[7] = 0;
    const std::size_t length = header.size();
    for (std::size_t i = 0; i + 8 < preamble; ++i) bytes[8 + i] = static_cast<unsigned char>(length >> (8 * i));
    std::memcpy(bytes.data() + preamble, header.data(), header.size());
    if (data_bytes != 0) std::memcpy(bytes.data() + preamble + header.size(), data, data_bytes);
    return bytes;
  } catch (const std::exception&) {
    return {};
  }
}

/// Refuses a value count that disagrees with the shape, or a negative dimension.
inline Status check_npy_shape(std::size_t values, std::span<const std::int64_t> shape) {
  std::uint64_t count = 1;
  bool fits = true;
  for (std::int64_t dim : shape) {
    if (dim < 0) return Status::error(ErrorCode::invalid_argument, "npy: negative dimension ").append(dim);
    fits = checked_multiply(count, static_cast<std::uint64_t>(dim), count) && fits;
  }
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) {
    count = 0;
    fits = true;
  }
  if (!fits || count != values) {
    Status status = Status::error(ErrorCode::invalid_argument, "npy: shape ");
    append_tuple(status, shape);
    return status.append(" disagrees with ").append(static_cast<std::uint64_t>(values)).append(" values");
  }
  return Status::success();
}

}  // namespace detail

/// Reads float32 or int8 .npy bytes. On failure `out` is left empty.
inline Status parse_npy(std::span<const unsigned char> bytes, NpyArray& out) {
  out = NpyArray{};
  Status status;
  try {
    status = detail::parse_npy_bytes(bytes, out);
  } catch (const std::bad_alloc&) {
    status = Status::error(ErrorCode::io_error, "npy: out of memory");
  } catch (const std::exception& error) {
    // Not expected. Reported, never thrown (the fuzz harnesses treat this message as a crash).
    status = Status::error(ErrorCode::format_error, "npy: internal error: ");
    detail::append_quoted(status, error.what(), 120);
  }
  if (!status.ok()) out = NpyArray{};
  return status;
}

/// Reads and parses the file at `path`. A preamble that parse_npy() would refuse is refused after
/// reading 12 bytes, whatever the size of the file.
inline Status read_npy(const std::string& path, NpyArray& out) {
  out = NpyArray{};
  std::vector<unsigned char> bytes;
  if (Status status = read_file_head(path, 12, bytes); !status.ok()) return status;
  std::uint64_t preamble = 0, header_size = 0;
  if (Status status = detail::parse_npy_preamble(bytes, preamble, header_size); !status.ok())
    return detail::prefix_path(path, status);
  if (Status status = read_file(path, bytes); !status.ok()) return status;
  return detail::prefix_path(path, parse_npy(bytes, out));
}

/// A version 1.0 file byte for byte as numpy.save writes it (2.0 when the header would not fit).
/// Writes what it is given without checks; write_npy checks. Empty only if out of memory.
inline std::vector<unsigned char> encode_npy(std::span<const float> values, std::span<const std::int64_t> shape) {
  return detail::encode_npy_bytes("<f4", values.data(), values.size_bytes(), shape);
}
inline std::vector<unsigned char> encode_npy(std::span<const std::int8_t> values, std::span<const std::int64_t> shape) {
  return detail::encode_npy_bytes("|i1", values.data(), values.size_bytes(), shape);
}

inline Status write_npy(const std::string& path, std::span<const float> values, std::span<const std::int64_t> shape) {
  if (Status status = detail::check_npy_shape(values.size(), shape); !status.ok()) return detail::prefix_path(path, status);
  const std::vector<unsigned char> bytes = encode_npy(values, shape);
  if (bytes.empty()) return Status::error(ErrorCode::io_error, "npy: out of memory encoding");
  return write_file(path, bytes);
}
inline Status write_npy(const std::string& path, std::span<const std::int8_t> values, std::span<const std::int64_t> shape) {
  if (Status status = detail::check_npy_shape(values.size(), shape); !status.ok()) return detail::prefix_path(path, status);
  const std::vector<unsigned char> bytes = encode_npy(values, shape);
  if (bytes.empty()) return Status::error(ErrorCode::io_error, "npy: out of memory encoding");
  return write_file(path, bytes);
}

}  // namespace joule::inline JOULE_TARGET::io
