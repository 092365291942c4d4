// Reading the small text attributes of sysfs and procfs that the energy counters are described by
// (a number, a zone's name, "event=0x02"): one read(2) of at most a page, which is how sysfs
// serves an attribute, so a counter read twice is read afresh. A failure names the path and the
// reason in the words a user acts on ("permission denied", "missing"). Hosted (POSIX) only.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::runtime {

/// The reason an operating-system call failed, as a user reads it.
inline std::string_view reason_of(int error) {
  switch (error) {
    case ENOENT:
      return "missing";
    case EACCES:
    case EPERM:
      return "permission denied";
    case EISDIR:
      return "is a directory, not a file";
    default:
      return error != 0 ? std::strerror(error) : "unknown error";
  }
}

/// "PATH: reason", the one-line form of every counter error.
inline Status path_error(const std::filesystem::path& path, std::string_view reason,
                         ErrorCode code = ErrorCode::io_error) {
  Status status = Status::error(code, path.string());
  status.append(": ").append(reason);
  return status;
}

/// Reads the attribute at `path` into `text`, without its trailing newline. A file of a page or
/// more is refused: no attribute the counters read is that long. `os_error`, when given, receives
/// the errno value of a failed call (0 otherwise), for a caller that adds advice to a refusal.
inline Status read_sysfs_text(const std::filesystem::path& path, std::string& text,
                              int* os_error = nullptr) {
  text.clear();
  if (os_error) *os_error = 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (os_error) *os_error = error;
    return path_error(path, reason_of(error),
                      error == ENOENT ? ErrorCode::not_found : ErrorCode::io_error);
  }
  char buffer[4096];
  ssize_t got = 0;
  do {
    got = ::read(fd, buffer, sizeof buffer);
  } while (got < 0 && errno == EINTR);
  const int error = errno;
  ::close(fd);
  if (got < 0) {
    if (os_error) *os_error = error;
    return path_error(path, reason_of(error));
  }
  if (static_cast<std::size_t>(got) == sizeof buffer)
    return path_error(path, "longer than a sysfs attribute (4096 bytes or more)",
                      ErrorCode::format_error);
  text.assign(buffer, static_cast<std::size_t>(got));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return Status::success();
}

/// `text` as an unsigned decimal (base 10) or, with a 0x prefix, hexadecimal; nothing else in it.
inline bool parse_unsigned(std::string_view text, std::uint64_t& value) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return error == std::errc() && end == text.data() + text.size();
}

/// Reads an attribute that holds one unsigned number.
inline Status read_sysfs_unsigned(const std::filesystem::path& path, std::uint64_t& value,
                                  int* os_error = nullptr) {
  std::string text;
  if (Status s = read_sysfs_text(path, text, os_error); !s.ok()) return s;
  if (!parse_unsigned(text, value)) {
    Status status = path_error(path, "not an unsigned number: '", ErrorCode::format_error);
    return status.append(std::string_view(text).substr(0, 40)).append("'");
  }
  return Status::success();
}

}  // namespace joule::inline JOULE_TARGET::runtime
