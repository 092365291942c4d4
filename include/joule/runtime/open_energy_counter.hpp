// open_energy_counter: the machine's package energy counter, whichever method works: RAPL through
// powercap (powercap_counter.hpp) first, then perf's power/energy-pkg/ event
// (perf_energy_counter.hpp). Both read the same registers; powercap needs only a readable file,
// perf a permission that most distributions withhold from users. Hosted (Linux) only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "joule/core/target.hpp"
#include "joule/runtime/energy_counter.hpp"
#include "joule/runtime/perf_energy_counter.hpp"
#include "joule/runtime/powercap_counter.hpp"

namespace joule::inline JOULE_TARGET::runtime {

/// The first counter that opens under `root` ("/" on a machine). When none does, returns null and
/// `tried` says in one line what each method tried and why it failed:
/// "rapl: no /sys/class/powercap; perf: no /sys/bus/event_source/devices/power".
inline std::unique_ptr<EnergyCounter> open_energy_counter(const std::filesystem::path& root,
                                                          std::string& tried) {
  tried.clear();
  std::unique_ptr<PowercapCounter> rapl;
  const Status rapl_status = PowercapCounter::open(root, rapl);
  if (rapl_status.ok()) return rapl;
  std::unique_ptr<PerfEnergyCounter> perf;
  const Status perf_status = PerfEnergyCounter::open(root, perf);
  if (perf_status.ok()) return perf;
  tried = "rapl: ";
  tried += rapl_status.message();
  tried += "; perf: ";
  tried += perf_status.message();
  return nullptr;
}

}  // namespace joule::inline JOULE_TARGET::runtime
