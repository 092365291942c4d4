// measure_energy: joules per call of some work (one inference, one layer), from an EnergyCounter
// (energy_counter.hpp), with the machine's idle power subtracted. docs/energy.md, "Measuring".
//
//   runtime::EnergyMeasurement m;
//   auto infer = [&] { net.forward(in, out); };
//   if (Status s = runtime::measure_energy(*counter, infer, {}, m); s.ok())
//     std::printf("%s: %.3f mJ per inference\n", counter->method().data(), m.joules_per_run() *
//     1e3);
//
// How long it measures: the work runs until the window has lasted `min_seconds` and counted at
// least `min_steps` steps of the counter's resolution, and at least `min_runs` times. The RAPL
// registers behind both counters update about once a millisecond, so each end of a window is
// uncertain by up to one update: over the default 1 s window that is 0.2% of the window's energy,
// and 1000 steps keep the counter's rounding below 0.1%. Then the baseline: the thread sleeps for
// as long as the window lasted and the counter is read around the sleep; the work's energy is the
// window's minus the baseline's power times the window's duration. The counter counts the whole
// package, so other programs running meanwhile are counted too: measure on a quiet machine.
//
// Hosted only. The clock and the sleep are parameters, so tests drive it without timing anything.
#pragma once

#include <chrono>
#include <cstdio>
#include <thread>

#include "joule/core/function_ref.hpp"
#include "joule/core/status.hpp"
#include "joule/core/target.hpp"
#include "joule/runtime/energy_counter.hpp"

namespace joule::inline JOULE_TARGET::runtime {

struct EnergyMeterOptions {
  double min_seconds = 1.0;  // the shortest window
  double min_steps = 1000;   // the least energy counted, in steps of the counter's resolution
  long min_runs = 1;
  // Give up (an error) when the counter has not counted enough by then; one that has not moved at
  // all is refused after the first min_seconds.
  double max_seconds = 60;
  // Reads of the counter during the window, so that its wraps are unwound (powercap_counter.hpp:
  // minutes apart at full power).
  double read_every_seconds = 1.0;
};

struct EnergyMeasurement {
  long runs = 0;
  double seconds = 0;       // the window
  double joules = 0;        // counted over it
  double idle_seconds = 0;  // the baseline, sleeping
  double idle_joules = 0;   // counted over it

  double idle_watts() const { return idle_seconds > 0 ? idle_joules / idle_seconds : 0.0; }
  /// The work's own energy per call: the window's less the baseline's power over the window.
  double joules_per_run() const {
    return runs > 0 ? (joules - idle_watts() * seconds) / static_cast<double>(runs) : 0.0;
  }
};

/// Seconds on a monotonic clock, and a sleep.
struct MeterClock {
  FunctionRef<double()> now;
  FunctionRef<void(double)> sleep;
};

inline Status measure_energy(EnergyCounter& counter, FunctionRef<void()> work,
                             const EnergyMeterOptions& options, EnergyMeasurement& result,
                             MeterClock clock) {
  result = EnergyMeasurement{};
  if (!(options.min_seconds > 0 && options.max_seconds >= options.min_seconds &&
        options.min_steps >= 0 && options.read_every_seconds > 0))
    return Status::error(ErrorCode::invalid_argument,
                         "energy meter: min_seconds must be > 0 and at most max_seconds");
  const double enough = options.min_steps * counter.resolution_joules();
  double start_joules = 0, joules = 0;
  if (Status s = counter.read(start_joules); !s.ok()) return s;
  joules = start_joules;
  const double start = clock.now();
  double last_read = start, now = start;
  for (;;) {
    work();
    ++result.runs;
    now = clock.now();
    const bool long_enough = now - start >= options.min_seconds && result.runs >= options.min_runs;
    if (long_enough || now - last_read >= options.read_every_seconds) {
      if (Status s = counter.read(joules); !s.ok()) return s;
      last_read = now;
    }
    if (long_enough && joules - start_joules >= enough && joules > start_joules) break;
    // A counter that has not moved in a whole window is not counting (some virtual machines list
    // a powercap zone that stays at 0): say so now rather than after max_seconds.
    if (long_enough && joules == start_joules) {
      char text[120];
      std::snprintf(text, sizeof text,
                    "the counter did not advance in %.1f s: it does not count here", now - start);
      return Status::error(ErrorCode::invalid_value, text);
    }
    if (now - start >= options.max_seconds) {
      char text[200];
      std::snprintf(text, sizeof text,
                    "the counter advanced %.6g J in %.1f s, less than %.6g J (%g steps of %.3g J): "
                    "it does not count here",
                    joules - start_joules, now - start, enough, options.min_steps,
                    counter.resolution_joules());
      return Status::error(ErrorCode::invalid_value, text);
    }
  }
  result.seconds = now - start;
  result.joules = joules - start_joules;

  double idle_start_joules = 0, idle_end_joules = 0;
  if (Status s = counter.read(idle_start_joules); !s.ok()) return s;
  const double idle_start = clock.now();
  clock.sleep(result.seconds);
  result.idle_seconds = clock.now() - idle_start;
  if (Status s = counter.read(idle_end_joules); !s.ok()) return s;
  result.idle_joules = idle_end_joules - idle_start_joules;
  return Status::success();
}

/// The same on the steady clock, sleeping the calling thread.
inline Status measure_energy(EnergyCounter& counter, FunctionRef<void()> work,
                             const EnergyMeterOptions& options, EnergyMeasurement& result) {
  auto now = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  auto sleep = [](double seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  };
  return measure_energy(counter, work, options, result, MeterClock{now, sleep});
}

}  // namespace joule::inline JOULE_TARGET::runtime
