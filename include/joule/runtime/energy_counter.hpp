// EnergyCounter: a cumulative energy counter of the machine, read before and after some work. The
// Linux readers are in powercap_counter.hpp (RAPL through /sys/class/powercap, method "rapl") and
// perf_energy_counter.hpp (perf's power/energy-pkg/ event, method "perf"); open_energy_counter.hpp
// opens the first one that works and says why each failed; energy_meter.hpp turns a counter into
// joules per inference with the idle baseline subtracted. docs/energy.md, "Measuring".
//
//   std::string tried;
//   std::unique_ptr<runtime::EnergyCounter> counter = runtime::open_energy_counter("/", tried);
//   if (!counter) std::puts(tried.c_str());   // "rapl: no /sys/class/powercap; perf: ..."
//
// Hosted (Linux) only: files, system calls and the heap.
#pragma once

#include <string>
#include <string_view>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::runtime {

class EnergyCounter {
 public:
  virtual ~EnergyCounter() = default;

  /// How it measures: "rapl" or "perf", the label every figure it gives is printed with.
  virtual std::string_view method() const = 0;
  /// What it reads, for a report: "package-0 (intel-rapl:0)", "power/energy-pkg/ on CPU 0".
  virtual std::string source() const = 0;
  /// The smallest step of its figure in joules. The hardware behind both methods (the RAPL
  /// energy-status registers) also updates only about every millisecond; energy_meter.hpp sizes
  /// its window for both.
  virtual double resolution_joules() const = 0;
  /// Joules counted since the counter was opened, the packages' sum, wraps of the hardware counter
  /// unwound. Read at least once per wrap period (minutes at full power: see the readers).
  virtual Status read(double& joules) = 0;
};

}  // namespace joule::inline JOULE_TARGET::runtime
