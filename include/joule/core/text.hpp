// Text<N>: fixed-capacity text built without the heap, also in constant expressions. Layer
// descriptions, name paths, report rows and error messages are made with it, so they work on
// bare metal. Text that does not fit is cut and the cut is remembered (truncated()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <std::size_t Capacity>
class Text {
 public:
  constexpr Text() = default;
  constexpr explicit Text(std::string_view text) { append(text); }

  constexpr Text& append(std::string_view text) {
    for (char c : text) push(c);
    return *this;
  }
  constexpr Text& append(char c) {
    push(c);
    return *this;
  }
  constexpr Text& append(std::int64_t value) {
    std::uint64_t magnitude = static_cast<std::uint64_t>(value);
    if (value < 0) {
      push('-');
      magnitude = ~magnitude + 1;
    }
    return append_unsigned(magnitude, false);
  }
  constexpr Text& append(int value) { return append(static_cast<std::int64_t>(value)); }
  constexpr Text& append(std::uint64_t value) { return append_unsigned(value, false); }
  constexpr Text& append(std::size_t value)
    requires(!std::is_same_v<std::size_t, std::uint64_t>)
  {
    return append_unsigned(value, false);
  }
  /// 1234567 -> "1,234,567": for tables a person reads.
  constexpr Text& append_grouped(std::uint64_t value) { return append_unsigned(value, true); }

  /// Pads with spaces (or cuts nothing) until the text is `width` characters long.
  constexpr Text& pad_to(std::size_t width) {
    while (length_ < width && length_ < Capacity) push(' ');
    return *this;
  }
  constexpr void resize(std::size_t length) {
    if (length < length_) length_ = length;
    data_[length_] = '\0';
  }
  constexpr void clear() { resize(0); }

  constexpr std::string_view view() const { return std::string_view(data_, length_); }
  constexpr const char* c_str() const { return data_; }
  constexpr std::size_t size() const { return length_; }
  constexpr bool truncated() const { return truncated_; }
  static constexpr std::size_t capacity() { return Capacity; }

 private:
  constexpr void push(char c) {
    if (length_ < Capacity) {
      data_[length_++] = c;
      data_[length_] = '\0';
    } else {
      truncated_ = true;
    }
  }
  constexpr Text& append_unsigned(std::uint64_t value, bool grouped) {
    char digits[32]{};
    std::size_t count = 0;
    do {
      if (grouped && count % 4 == 3) digits[count++] = ',';
      digits[count++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (count > 0) push(digits[--count]);
    return *this;
  }

  char data_[Capacity + 1]{};
  std::size_t length_ = 0;
  bool truncated_ = false;
};

}  // namespace joule::inline JOULE_TARGET
