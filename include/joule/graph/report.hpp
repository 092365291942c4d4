// The per-layer report of a network: name path, type, the kernel it runs, input and output shape,
// parameters, MACs, activation bytes, estimated energy and its share of every layer, then the
// totals. Written through a callable taking
// std::string_view lines, so it works on a host (std::cout) and on bare metal (semihosting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"
#include "joule/core/text.hpp"
#include "joule/energy/estimate.hpp"
#include "joule/energy/table.hpp"
#include "joule/graph/node.hpp"

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
/// `value` with one decimal, its integer part grouped: 1678.74 -> "1,678.7".
inline void append_tenths(Text<320>& text, double value) {
  const auto tenths = static_cast<std::uint64_t>(value * 10.0 + 0.5);
  text.append_grouped(tenths / 10).append('.').append(static_cast<int>(tenths % 10));
}
/// Picojoules in the unit that reads best: "1,678.7 uJ", "6.1 nJ", "0.3 pJ".
inline void append_energy(Text<320>& text, double pj) {
  if (pj >= 1e6) {
    append_tenths(text, pj * 1e-6);
    text.append(" uJ");
  } else if (pj >= 1e3) {
    append_tenths(text, pj * 1e-3);
    text.append(" nJ");
  } else {
    append_tenths(text, pj);
    text.append(" pJ");
  }
}
inline void append_share(Text<320>& text, double part, double whole, std::size_t width) {
  Text<320> number;
  append_tenths(number, whole > 0 ? 100.0 * part / whole : 0.0);
  number.append('%');
  for (std::size_t i = number.size(); i < width; ++i) text.append(' ');
  text.append(number.view());
}
}  // namespace detail

/// Calls write(line) for each line of the report, without a trailing newline. The energy columns
/// use `table` (energy/table.hpp).
template <class Net, class Write>
void write_report(Write&& write, const energy::EnergyTable& table = energy::horowitz_45nm) {
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
  for (std::string_view column : {"params", "MACs", "act read B", "act write B", "energy pJ"}) {
    for (std::size_t i = column.size(); i < number_width; ++i) line.append(' ');
    line.append(column);
  }
  constexpr std::size_t share_width = 8;
  line.append("   share");
  write(line.view());

  // Each layer as Net::energy(table) counts it: the whole network's weights set their level.
  const double total_pj = Net::energy(table).total_pj();
  const auto energy_pj = [&](const NodeInfo& node) {
    return energy::estimate(node.cost, node.input_dtype, Net::weight_bytes, table).total_pj();
  };

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
    const double pj = energy_pj(node);
    detail::append_right(line, static_cast<std::uint64_t>(pj + 0.5), number_width);
    detail::append_share(line, pj, total_pj, share_width);
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
  line.append("), estimated ");
  detail::append_energy(line, total_pj);
  write(line.view());
}

}  // namespace joule::inline JOULE_TARGET
