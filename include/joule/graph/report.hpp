// The per-layer report of a network: name path, type, the kernel it runs, input and output shape,
// parameters, MACs and activation bytes of every layer, then the totals. Written through a callable taking
// std::string_view lines, so it works on a host (std::cout) and on bare metal (semihosting).
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/shape.hpp"
#include "joule/core/text.hpp"
#include "joule/graph/node.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

namespace detail {
inline void append_extent(Text<320>& text, Extent extent) {
  text.append(extent.height).append('x').append(extent.width).append('x').append(extent.channels);
}
inline void append_right(Text<320>& text, std::uint64_t value, std::size_t width) {
  Text<32> number;
  number.append_grouped(value);
  for (std::size_t i = number.size(); i < width; ++i) text.append(' ');
  text.append(number.view());
}
}  // namespace detail

/// Calls write(line) for each line of the report, without a trailing newline.
template <class Net, class Write>
void write_report(Write&& write) {
  std::size_t path_width = 4;
  std::size_t type_width = 4;
  std::size_t kernel_width = 6;
  Net::visit([&](const NodeInfo& node) {
    if (!node.leaf) return;
    path_width = std::max(path_width, node.path.size());
    type_width = std::max(type_width, node.kind.size() + 1 + node.description.size());
    kernel_width = std::max(kernel_width, node.kernel.size());
  });
  constexpr std::size_t shape_width = 13;
  constexpr std::size_t number_width = 14;

  Text<320> line;
  const std::size_t shapes_at = path_width + type_width + kernel_width + 6;
  line.clear();
  line.append("name").pad_to(path_width + 2).append("type").pad_to(path_width + type_width + 4);
  line.append("kernel").pad_to(shapes_at).append("input").pad_to(shapes_at + shape_width);
  line.append("output").pad_to(shapes_at + 2 * shape_width);
  for (std::string_view column : {"params", "MACs", "act read B", "act write B"}) {
    for (std::size_t i = column.size(); i < number_width; ++i) line.append(' ');
    line.append(column);
  }
  write(line.view());

  Net::visit([&](const NodeInfo& node) {
    if (!node.leaf) return;
    line.clear();
    line.append(node.path.empty() ? std::string_view("-") : node.path).pad_to(path_width + 2);
    line.append(node.kind).append(' ').append(node.description).pad_to(path_width + type_width + 4);
    line.append(node.kernel).pad_to(shapes_at);
    detail::append_extent(line, node.input);
    line.pad_to(shapes_at + shape_width);
    detail::append_extent(line, node.output);
    line.pad_to(shapes_at + 2 * shape_width);
    detail::append_right(line, node.cost.params, number_width);
    detail::append_right(line, node.cost.macs, number_width);
    detail::append_right(line, node.cost.activation_read_bytes, number_width);
    detail::append_right(line, node.cost.activation_write_bytes, number_width);
    write(line.view());
  });

  line.clear();
  line.append("total: ").append_grouped(Net::cost.params).append(" params, ");
  line.append_grouped(Net::cost.macs).append(" MACs, ");
  line.append_grouped(Net::weight_bytes).append(" weight bytes, ");
  line.append_grouped(Net::arena_bytes).append(" arena bytes (input ");
  detail::append_extent(line, extent_of<typename Net::input>);
  line.append(", output ");
  detail::append_extent(line, extent_of<typename Net::output>);
  line.append(')');
  write(line.view());
}

}  // namespace joule::inline JOULE_TARGET
