// The command's energy tables: `--energy-table FILE.json` replaces entries of the default table
// (energy::horowitz_45nm) with a user's figures for their chip, and `joule info --json` writes the
// table it used in the same form, so that a user starts from it:
//
//   {"fp32_mac_pj": 1.1, "int8_mac_pj": 0.08, "dram_byte_pj": 80, "llc_bytes": 8388608}
//
// Keys are EnergyTable's fields; a key left out keeps the default's value. Refused, in one line
// naming the key: an unknown key, a value that is not a finite number >= 0, a capacity that is not
// a whole number, capacities that do not grow from L1 to L2 to the last-level cache.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "joule/core/text.hpp"
#include "joule/energy/table.hpp"
#include "joule/io/file.hpp"

namespace joule::cli {

/// The table's fields by name, in one list for reading and writing.
template <class Table, class Each>
void for_each_energy_field(Table& table, Each each) {
  each("fp32_mac_pj", table.fp32_mac_pj);
  each("int8_mac_pj", table.int8_mac_pj);
  each("fp32_add_pj", table.fp32_add_pj);
  each("fp32_mul_pj", table.fp32_mul_pj);
  each("l1_byte_pj", table.l1_byte_pj);
  each("l2_byte_pj", table.l2_byte_pj);
  each("llc_byte_pj", table.llc_byte_pj);
  each("dram_byte_pj", table.dram_byte_pj);
  each("l1_bytes", table.l1_bytes);
  each("l2_bytes", table.l2_bytes);
  each("llc_bytes", table.llc_bytes);
}

inline nlohmann::json energy_table_json(const energy::EnergyTable& table) {
  nlohmann::json out = nlohmann::json::object();
  for_each_energy_field(table, [&](const char* key, const auto& value) { out[key] = value; });
  return out;
}

/// Reads `path` over the default table; on failure returns false with `error` set.
inline bool read_energy_table(const std::string& path, energy::EnergyTable& table,
                              std::string& error) {
  constexpr std::size_t max_bytes = 64 * 1024;  // a table is a few hundred bytes
  std::vector<unsigned char> bytes;
  if (Status s = io::read_file(path, bytes, max_bytes); !s.ok()) {
    error = std::string(s.message());
    return false;
  }
  const nlohmann::json doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  const std::string where = "energy table " + path;
  if (doc.is_discarded() || !doc.is_object()) {
    error = where + ": not a JSON object of EnergyTable fields (joule info --json shows one)";
    return false;
  }
  table = energy::horowitz_45nm;
  for (const auto& [key, value] : doc.items()) {
    bool known = false;
    for_each_energy_field(table, [&](const char* name, auto& field) {
      if (key != name) return;
      known = true;
      const double number = value.is_number() ? value.get<double>() : -1.0;
      if (!value.is_number() || !std::isfinite(number) || number < 0) {
        error = where + ": '" + key + "' must be a finite number >= 0";
      } else if constexpr (std::is_integral_v<std::remove_reference_t<decltype(field)>>) {
        if (number != std::floor(number) || number > 1e18)
          error = where + ": '" + key + "' is a capacity in bytes, a whole number";
        else
          field = static_cast<std::remove_reference_t<decltype(field)>>(number);
      } else {
        field = number;
      }
    });
    if (!known) {
      Text<300> quoted;
      io::detail::append_quoted(quoted, key);
      error = where + ": unknown key '" + std::string(quoted.view()) +
              "' (the keys are EnergyTable's fields: fp32_mac_pj, int8_mac_pj, fp32_add_pj, "
              "fp32_mul_pj, l1_byte_pj, l2_byte_pj, llc_byte_pj, dram_byte_pj, l1_bytes, "
              "l2_bytes, llc_bytes)";
    }
    if (!error.empty()) return false;
  }
  if (!(table.l1_bytes <= table.l2_bytes && table.l2_bytes <= table.llc_bytes)) {
    error = where + ": capacities must grow from l1_bytes to l2_bytes to llc_bytes";
    return false;
  }
  return true;
}

}  // namespace joule::cli
