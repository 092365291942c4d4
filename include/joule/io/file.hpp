// Whole-file reading and writing for the hosted readers (safetensors, .npy), with messages that
// name the path and the operating system's reason; plus the few helpers the readers share for
// saying what is wrong with a file's contents (quoting untrusted names, overflow-checked sizes).
// Hosted only: uses the C library's files and the heap.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::io {

namespace detail {

/// Appends untrusted text (a tensor name, a dtype from a file) so that a message stays one
/// printable line of bounded length whatever the file holds: control and non-ASCII bytes become
/// \xNN, and long text is cut with "...". Sink: a Status or a Text.
template <class Sink>
void append_quoted(Sink& status, std::string_view text, std::size_t max_chars = 64) {
  constexpr char hex[] = "0123456789abcdef";
  std::size_t written = 0;
  for (char c : text) {
    if (written >= max_chars) {
      status.append("...");
      return;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '\\') {
      const char escaped[4] = {'\\', 'x', hex[byte >> 4], hex[byte & 0xf]};
      status.append(std::string_view(escaped, 4));
      written += 4;
    } else {
      status.append(c);
      ++written;
    }
  }
}

/// a * b, or false when the product does not fit 64 bits.
constexpr bool checked_multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& product) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
  product = a * b;
  return true;
}

/// An error about `path` whose reason is the C library's errno value.
inline Status os_error(std::string_view what, const std::string& path, int error) {
  const ErrorCode code = error == ENOENT ? ErrorCode::not_found : ErrorCode::io_error;
  Status status = Status::error(code, what);
  status.append(" '");
  append_quoted(status, path, 200);
  status.append("': ").append(std::string_view(error != 0 ? std::strerror(error) : "unknown error"));
  return status;
}

/// Puts `path` in front of an error from parsing its contents: the caller sees which file.
inline Status prefix_path(const std::string& path, const Status& status) {
  if (status.ok()) return status;
  Status result = Status::error(status.code(), "'");
  append_quoted(result, path, 200);
  result.append("': ").append(status.message());
  return result;
}

}  // namespace detail

/// Reads the whole file into `bytes` (cleared on failure). Files above `max_bytes` are refused
/// before anything is read, so that a wrong path cannot exhaust memory.
inline Status read_file(const std::string& path, std::vector<unsigned char>& bytes,
                        std::size_t max_bytes = 4ull << 30) {
  bytes.clear();
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return detail::os_error("cannot open", path, errno);

  Status status;
  try {
    // The size is only a hint (the file may change while it is read, or be a pipe): the loop
    // below reads until end of file and enforces the limit itself.
    std::error_code ignored;
    const std::uintmax_t expected = std::filesystem::file_size(path, ignored);
    if (!ignored && expected > max_bytes) {
      status = Status::error(ErrorCode::io_error, "refusing to read '");
      detail::append_quoted(status, path, 200);
      status.append("': ").append(static_cast<std::uint64_t>(expected)).append(" bytes, above the limit of ");
      status.append(static_cast<std::uint64_t>(max_bytes)).append(" bytes");
    } else {
      // One byte more than the file has, to see its end without growing the vector (which would
      // hold the file twice while it copies).
      if (!ignored) bytes.reserve(static_cast<std::size_t>(expected) + 1);
      constexpr std::size_t chunk = std::size_t{1} << 20;
      for (;;) {
        const std::size_t old_size = bytes.size();
        const std::size_t remaining = max_bytes - old_size;
        std::size_t want = remaining >= chunk ? chunk : remaining + 1;  // +1 sees a too-long file
        const std::size_t room = bytes.capacity() - old_size;
        if (room != 0 && room < want) want = room;  // within the reservation while it lasts
        bytes.resize(old_size + want);
        errno = 0;
        const std::size_t got = std::fread(bytes.data() + old_size, 1, want, file);
        bytes.resize(old_size + got);
        if (got < want) {
          if (std::ferror(file)) status = detail::os_error("cannot read", path, errno);
          break;
        }
        if (bytes.size() > max_bytes) {
          status = Status::error(ErrorCode::io_error, "refusing to read '");
          detail::append_quoted(status, path, 200);
          status.append("': more than the limit of ").append(static_cast<std::uint64_t>(max_bytes)).append(" bytes");
          break;
        }
      }
    }
  } catch (const std::exception&) {  // std::bad_alloc, std::length_error: say so, never throw
    status = Status::error(ErrorCode::io_error, "out of memory reading '");
    detail::append_quoted(status, path, 200);
    status.append("'");
  }
  std::fclose(file);
  if (!status.ok()) {
    bytes.clear();
    bytes.shrink_to_fit();
  }
  return status;
}

/// Reads the first `count` bytes of the file (all of it when shorter) into `bytes`, so that a
/// reader can refuse a bad length field before it reads a file of any size.
inline Status read_file_head(const std::string& path, std::size_t count,
                             std::vector<unsigned char>& bytes) {
  bytes.clear();
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return detail::os_error("cannot open", path, errno);
  Status status;
  try {
    bytes.resize(count);
    errno = 0;
    const std::size_t got = count == 0 ? 0 : std::fread(bytes.data(), 1, count, file);
    if (got < count && std::ferror(file)) status = detail::os_error("cannot read", path, errno);
    bytes.resize(got);
  } catch (const std::exception&) {
    status = Status::error(ErrorCode::io_error, "out of memory reading '");
    detail::append_quoted(status, path, 200);
    status.append("'");
  }
  std::fclose(file);
  if (!status.ok()) bytes.clear();
  return status;
}

/// Writes `bytes` as the whole content of `path`, replacing it. Write and close errors (a full
/// disk shows up at close) are both reported.
inline Status write_file(const std::string& path, std::span<const unsigned char> bytes) {
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return detail::os_error("cannot create", path, errno);
  errno = 0;
  const std::size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), file);
  const int write_errno = errno;
  errno = 0;
  const int closed = std::fclose(file);
  if (written != bytes.size()) return detail::os_error("cannot write", path, write_errno);
  if (closed != 0) return detail::os_error("cannot write", path, errno);
  return Status::success();
}

}  // namespace joule::inline JOULE_TARGET::io
