// `joule bench MODEL --energy`: joules per inference measured with the machine's energy counter
// (runtime/open_energy_counter.hpp, runtime/energy_meter.hpp) beside the compile-time estimate,
// each figure labelled with its method: "rapl", "perf" or "estimate". Where no counter is readable,
// one note on stderr says what was tried and why it failed, and the estimate is shown alone.
// $JOULE_SYSFS_ROOT, when set, is read in place of "/" (tests/cli runs a recorded tree through it).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "joule/runtime/energy_meter.hpp"
#include "joule/runtime/open_energy_counter.hpp"

namespace joule::cli {

/// What bench --energy has to say: the lines of text (or the JSON object), and the note for stderr
/// when nothing was measured.
struct EnergyBench {
  std::vector<std::string> lines;
  nlohmann::json json;
  std::string note;
};

/// Measures `run` (one inference) at least `min_runs` times, and gives the estimate beside it.
inline EnergyBench bench_energy(const std::function<void()>& run, long min_runs,
                                double estimate_joules, const std::string& table_name) {
  EnergyBench out;
  char line[512];
  nlohmann::json estimate = {
      {"method", "estimate"}, {"joules_per_inference", estimate_joules}, {"table", table_name}};
  std::string tried;
  // The root of the counters' trees: "/", or $JOULE_SYSFS_ROOT (the CLI test's recorded tree).
  const char* root = std::getenv("JOULE_SYSFS_ROOT");
  const auto counter = runtime::open_energy_counter(root && *root ? root : "/", tried);
  if (counter) {
    runtime::EnergyMeterOptions options;
    options.min_runs = min_runs;
    runtime::EnergyMeasurement m;
    auto work = [&] { run(); };
    if (Status s = runtime::measure_energy(*counter, work, options, m); !s.ok()) {
      tried = counter->method();
      tried += " (";
      tried += counter->source();
      tried += "): ";
      tried += s.message();
    } else {
      const std::string method(counter->method());
      std::snprintf(line, sizeof line,
                    "energy, %s: %.4g mJ per inference (%s; %ld runs in %.3f s counted %.3f J, "
                    "less the idle baseline %.3f J over %.3f s sleeping, %.2f W)",
                    method.c_str(), m.joules_per_run() * 1e3, counter->source().c_str(), m.runs,
                    m.seconds, m.joules, m.idle_joules, m.idle_seconds, m.idle_watts());
      out.lines.push_back(line);
      out.json["measured"] = {{"method", method},
                              {"source", counter->source()},
                              {"joules_per_inference", m.joules_per_run()},
                              {"runs", m.runs},
                              {"seconds", m.seconds},
                              {"joules", m.joules},
                              {"idle_seconds", m.idle_seconds},
                              {"idle_joules", m.idle_joules},
                              {"idle_watts", m.idle_watts()},
                              {"resolution_joules", counter->resolution_joules()}};
    }
  }
  if (!out.json.contains("measured")) {
    out.note = "no energy counter readable, so the estimate alone: ";
    out.note += tried;
    out.json["measured"] = nullptr;
    out.json["unavailable"] = tried;
  }
  std::snprintf(line, sizeof line,
                "energy, estimate: %.4g mJ per inference (table %s, docs/energy.md)",
                estimate_joules * 1e3, table_name.c_str());
  out.lines.push_back(line);
  out.json["estimate"] = estimate;
  return out;
}

}  // namespace joule::cli
