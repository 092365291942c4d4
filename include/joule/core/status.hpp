// Status: the outcome of a fallible operation (loading, binding, parsing), with a readable
// message that names what was wrong. No exceptions and no heap, so it works everywhere.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "joule/core/text.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

enum class ErrorCode : std::uint8_t {
  ok,
  invalid_argument,  // the caller asked for something impossible
  not_found,         // a named tensor or file is missing
  shape_mismatch,    // a tensor exists with other dimensions than the layer needs
  type_mismatch,     // a tensor exists with a data type the layer cannot take
  invalid_value,     // NaN or infinite weights, out-of-range numbers
  format_error,      // a file is malformed
  io_error,          // the operating system refused a read or write
};

constexpr std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_argument: return "invalid argument";
    case ErrorCode::not_found: return "not found";
    case ErrorCode::shape_mismatch: return "shape mismatch";
    case ErrorCode::type_mismatch: return "type mismatch";
    case ErrorCode::invalid_value: return "invalid value";
    case ErrorCode::format_error: return "format error";
    case ErrorCode::io_error: return "I/O error";
  }
  return "unknown error";
}

class [[nodiscard]] Status {
 public:
  using Message = Text<400>;

  constexpr Status() = default;
  static constexpr Status success() { return Status(); }
  static constexpr Status error(ErrorCode code, std::string_view message) {
    Status status;
    status.code_ = code;
    status.message_.append(message);
    return status;
  }

  constexpr bool ok() const { return code_ == ErrorCode::ok; }
  constexpr explicit operator bool() const { return ok(); }
  constexpr ErrorCode code() const { return code_; }
  /// Empty when ok(); otherwise one line saying what failed.
  constexpr std::string_view message() const { return message_.view(); }
  constexpr const char* c_str() const { return message_.c_str(); }

  /// Adds detail to an error's message: status.append("tensor '").append(name).append("'").
  template <class T>
  constexpr Status& append(T&& value) {
    message_.append(std::forward<T>(value));
    return *this;
  }

 private:
  ErrorCode code_ = ErrorCode::ok;
  Message message_;
};

/// A value or the Status explaining why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  constexpr Result(T value) : value_(std::move(value)) {}
  constexpr Result(Status status) : status_(std::move(status)) {}

  constexpr bool ok() const { return status_.ok(); }
  constexpr explicit operator bool() const { return ok(); }
  constexpr const Status& status() const { return status_; }
  constexpr T& value() { return value_; }
  constexpr const T& value() const { return value_; }
  constexpr T* operator->() { return &value_; }
  constexpr const T* operator->() const { return &value_; }
  constexpr T& operator*() { return value_; }
  constexpr const T& operator*() const { return value_; }

 private:
  Status status_;
  T value_{};
};

}  // namespace joule::inline JOULE_TARGET
