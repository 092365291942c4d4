// PowercapCounter: RAPL package energy through Linux's powercap sysfs (method "rapl"), on Intel
// and on AMD (Zen and later, whose RAPL-compatible registers the same intel_rapl driver exports).
//
// The tree (the kernel's Documentation/power/powercap/powercap.rst and ABI/testing/
// sysfs-class-powercap): /sys/class/powercap/<control type>:<n> is a top-level zone with
// `name` ("package-0", "psys", ...), `energy_uj` (microjoules, cumulative) and
// `max_energy_range_uj` (where energy_uj wraps to 0); subzones <control type>:<n>:<m> ("core",
// "uncore", "dram") are parts of their package and not added again. The counter is the sum of the
// package zones ("package-N", "package-N-die-M") of one control type: "intel-rapl" (the MSR
// interface) when it has any, else the first other type (e.g. "intel-rapl-mmio"), which counts the
// same packages through another interface and would count them twice if added. "psys" (the whole
// platform, where present) is not a package.
//
// energy_uj wraps at max_energy_range_uj: 262,143,328,850 uJ on Intel (2^32 counts of 61 uJ),
// 65,532,610,987 uJ on AMD (2^32 of 15.3 uJ), about 22 and 5 minutes at 200 W. A read unwinds one
// wrap since the previous read; more than one between two reads cannot be seen, so read at least
// once per wrap period. Since Linux 5.10 energy_uj is readable by root only (mode 0400); see
// docs/energy.md, "Permissions".
//
// `root` is the directory the tree is under: "/" on a machine, a recorded tree in the tests.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"
#include "joule/runtime/energy_counter.hpp"
#include "joule/runtime/sysfs_text.hpp"

namespace joule::inline JOULE_TARGET::runtime {

/// One package zone of the powercap tree and the counter's last reading of it.
struct PowercapZone {
  std::string id;    // the zone's directory under /sys/class/powercap: "intel-rapl:0"
  std::string name;  // its `name`: "package-0"
  std::filesystem::path directory;
  std::uint64_t max_energy_range_uj = 0;
  std::uint64_t last_uj = 0;
};

namespace detail {

/// "intel-rapl:0" as ("intel-rapl", 0); false for a subzone ("intel-rapl:0:1") or another name.
inline bool top_level_zone(std::string_view id, std::string& control_type, std::uint64_t& index) {
  const std::size_t colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view number = id.substr(colon + 1);
  if (number.empty() || number.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  control_type = std::string(id.substr(0, colon));
  return parse_unsigned(number, index);
}

/// energy_uj's advance from `last` to `now` on a counter that wraps to 0 after `max`. The count
/// lost at the wrap itself (the step from max to 0, one hardware unit) is below the resolution.
constexpr std::uint64_t advance_uj(std::uint64_t last, std::uint64_t now, std::uint64_t max) {
  return now >= last ? now - last : (max - last) + now;
}

inline Status with_permission_advice(Status status, int error) {
  if (error == EACCES || error == EPERM)
    status.append(" (root only since Linux 5.10: docs/energy.md, Permissions)");
  return status;
}

}  // namespace detail

class PowercapCounter final : public EnergyCounter {
 public:
  /// Finds the package zones under root/sys/class/powercap and reads each once. On failure
  /// `counter` stays empty and the status says what is missing or unreadable, with its path.
  static Status open(const std::filesystem::path& root, std::unique_ptr<PowercapCounter>& counter) {
    counter.reset();
    const std::filesystem::path tree = root / "sys/class/powercap";
    std::error_code error;
    std::filesystem::directory_iterator entries(tree, error);
    if (error) {
      if (error == std::errc::no_such_file_or_directory)
        return Status::error(ErrorCode::not_found, "no ").append(tree.string());
      return path_error(tree, reason_of(error.value()));
    }
    struct Candidate {
      std::string control_type;
      std::uint64_t index;
      PowercapZone zone;
    };
    std::vector<Candidate> candidates;
    std::string seen;  // the zones that are not packages, for the message when none is
    Status unreadable_name;
    for (; !error && entries != std::filesystem::directory_iterator(); entries.increment(error)) {
      const std::filesystem::directory_entry& entry = *entries;
      const std::string id = entry.path().filename().string();
      Candidate c{};
      if (!detail::top_level_zone(id, c.control_type, c.index)) continue;
      std::string name;
      if (Status s = read_sysfs_text(entry.path() / "name", name); !s.ok()) {
        if (unreadable_name.ok()) unreadable_name = s;
        continue;
      }
      if (name.rfind("package", 0) != 0) {
        seen += seen.empty() ? "" : ", ";
        seen += id;
        seen += ' ';
        seen += name;
        continue;
      }
      c.zone.id = id;
      c.zone.name = std::move(name);
      c.zone.directory = entry.path();
      candidates.push_back(std::move(c));
    }
    if (error) return path_error(tree, reason_of(error.value()));
    if (candidates.empty()) {
      if (!unreadable_name.ok()) return unreadable_name;
      Status status = Status::error(ErrorCode::not_found, "no package zone in ");
      status.append(tree.string());
      if (!seen.empty()) status.append(" (only ").append(seen).append(")");
      return status;
    }
    // One control type: "intel-rapl" if it has packages, else the first in name order.
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      const bool a_msr = a.control_type == "intel-rapl", b_msr = b.control_type == "intel-rapl";
      if (a_msr != b_msr) return a_msr;
      if (a.control_type != b.control_type) return a.control_type < b.control_type;
      return a.index < b.index;
    });
    auto result = std::unique_ptr<PowercapCounter>(new PowercapCounter);
    for (Candidate& c : candidates) {
      if (c.control_type != candidates.front().control_type) break;
      PowercapZone& zone = c.zone;
      int os_error = 0;
      const std::filesystem::path range = zone.directory / "max_energy_range_uj";
      if (Status s = read_sysfs_unsigned(range, zone.max_energy_range_uj, &os_error); !s.ok())
        return detail::with_permission_advice(s, os_error);
      if (zone.max_energy_range_uj == 0)
        return path_error(range, "0, not a counter's range", ErrorCode::format_error);
      if (Status s = read_zone(zone, zone.last_uj); !s.ok()) return s;
      result->zones_.push_back(std::move(zone));
    }
    counter = std::move(result);
    return Status::success();
  }

  std::string_view method() const override { return "rapl"; }
  std::string source() const override {
    std::string text;
    for (const PowercapZone& zone : zones_) {
      text += text.empty() ? "" : ", ";
      text += zone.name;
      text += " (";
      text += zone.id;
      text += ')';
    }
    return text;
  }
  /// energy_uj's unit. The hardware's own unit is coarser (61 uJ on Intel, 15.3 uJ on AMD).
  double resolution_joules() const override { return 1e-6; }

  Status read(double& joules) override {
    std::vector<std::uint64_t> now(zones_.size());
    for (std::size_t i = 0; i < zones_.size(); ++i)
      if (Status s = read_zone(zones_[i], now[i]); !s.ok()) return s;
    for (std::size_t i = 0; i < zones_.size(); ++i) {
      total_uj_ += detail::advance_uj(zones_[i].last_uj, now[i], zones_[i].max_energy_range_uj);
      zones_[i].last_uj = now[i];
    }
    joules = static_cast<double>(total_uj_) * 1e-6;
    return Status::success();
  }

  const std::vector<PowercapZone>& zones() const { return zones_; }

 private:
  PowercapCounter() = default;

  static Status read_zone(const PowercapZone& zone, std::uint64_t& uj) {
    int os_error = 0;
    const std::filesystem::path path = zone.directory / "energy_uj";
    if (Status s = read_sysfs_unsigned(path, uj, &os_error); !s.ok())
      return detail::with_permission_advice(s, os_error);
    if (uj > zone.max_energy_range_uj)
      return path_error(path, "above max_energy_range_uj", ErrorCode::format_error);
    return Status::success();
  }

  std::vector<PowercapZone> zones_;
  std::uint64_t total_uj_ = 0;
};

}  // namespace joule::inline JOULE_TARGET::runtime
