// NamePath: the dotted path of a node while visiting a network ("features.3.block.1"), kept in
// fixed storage so that visiting needs no heap.
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/text.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

class NamePath {
 public:
  /// Appends a segment (nothing for an empty one) and returns the mark to pop back to.
  std::size_t push(std::string_view segment) {
    const std::size_t mark = text_.size();
    if (!segment.empty()) {
      if (mark != 0) text_.append('.');
      text_.append(segment);
    }
    return mark;
  }
  std::size_t push(int index) {
    Text<12> digits;
    digits.append(index);
    return push(digits.view());
  }
  void pop(std::size_t mark) { text_.resize(mark); }

  std::string_view view() const { return text_.view(); }
  bool truncated() const { return text_.truncated(); }

 private:
  Text<256> text_;
};

}  // namespace joule::inline JOULE_TARGET
