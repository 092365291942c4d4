// measure_energy on a simulated machine: a counter, a clock and a sleep that advance only when the
// meter runs the work or sleeps, so the figures are exact and nothing is timed. The machine idles
// at `idle_watts`; each call of the work takes `seconds_per_run` and `joules_per_run` above idle.
#include <catch2/catch.hpp>
#include <string>

#include "joule/runtime/energy_meter.hpp"

namespace {

using joule::runtime::EnergyMeasurement;
using joule::runtime::EnergyMeterOptions;

struct Machine final : joule::runtime::EnergyCounter {
  double idle_watts = 20.0;
  double seconds_per_run = 1.0 / 64;  // exact in binary, so the window's length is exact
  double joules_per_run = 0.25;
  double resolution = 1e-6;
  double time = 100.0;
  double joules = 5000.0;
  long reads = 0;

  std::string_view method() const override { return "simulated"; }
  std::string source() const override { return "a simulated package"; }
  double resolution_joules() const override { return resolution; }
  joule::Status read(double& out) override {
    ++reads;
    out = joules;
    return joule::Status::success();
  }
  void run() {
    time += seconds_per_run;
    joules += joules_per_run + idle_watts * seconds_per_run;
  }
  void sleep(double seconds) {
    time += seconds;
    joules += idle_watts * seconds;
  }
};

joule::Status measure(Machine& m, const EnergyMeterOptions& options, EnergyMeasurement& result) {
  auto work = [&] { m.run(); };
  auto now = [&] { return m.time; };
  auto sleep = [&](double s) { m.sleep(s); };
  return joule::runtime::measure_energy(m, work, options, result,
                                        joule::runtime::MeterClock{now, sleep});
}

}  // namespace

TEST_CASE("energy meter: the work's joules per run, the idle baseline subtracted") {
  Machine m;
  EnergyMeasurement r;
  REQUIRE(measure(m, {}, r).ok());
  CHECK(r.runs == 64);  // the 1 s window at 1/64 s per run
  CHECK(r.seconds == 1.0);
  CHECK(r.joules == Approx(64 * 0.25 + 20.0).epsilon(1e-12));
  CHECK(r.idle_seconds == 1.0);  // as long as the window, sleeping
  CHECK(r.idle_joules == Approx(20.0).epsilon(1e-12));
  CHECK(r.idle_watts() == Approx(20.0).epsilon(1e-12));
  CHECK(r.joules_per_run() == Approx(0.25).epsilon(1e-9));
}

TEST_CASE("energy meter: a coarse counter, a longer minimum, more runs asked for") {
  Machine coarse;
  coarse.resolution = 0.05;  // 1000 steps: 50 J, more than a second's 36 J
  EnergyMeasurement r;
  REQUIRE(measure(coarse, {}, r).ok());
  CHECK(r.joules >= 50.0);
  CHECK(r.runs == 89);  // the first run at which 36/64 J per run passes 50 J
  CHECK(r.joules_per_run() == Approx(0.25).epsilon(1e-9));

  Machine m;
  EnergyMeterOptions options;
  options.min_seconds = 2.0;
  REQUIRE(measure(m, options, r).ok());
  CHECK(r.runs == 128);
  options.min_runs = 300;
  REQUIRE(measure(m, options, r).ok());
  CHECK(r.runs == 300);
  CHECK(r.idle_seconds == r.seconds);
}

TEST_CASE("energy meter: reads the counter during a long window, so wraps are unwound") {
  Machine m;
  EnergyMeterOptions options;
  options.min_seconds = 10.0;
  EnergyMeasurement r;
  REQUIRE(measure(m, options, r).ok());
  // One read at the start, one a second during the window, one at its end, two around the sleep.
  CHECK(m.reads >= 1 + 9 + 1 + 2);
  CHECK(m.reads <= 1 + 10 + 1 + 2);
}

TEST_CASE("energy meter: a counter that does not advance is an error, not a figure") {
  Machine dead;
  dead.idle_watts = 0;
  dead.joules_per_run = 0;
  EnergyMeasurement r;
  const joule::Status status = measure(dead, {}, r);
  CHECK(!status.ok());
  CHECK(std::string(status.message()) ==
        "the counter did not advance in 1.0 s: it does not count here");
  CHECK(r.runs == 64);  // refused after the first window, not after max_seconds

  Machine slow;  // counts, but too coarsely to reach 1000 steps by max_seconds
  slow.resolution = 1.0;
  EnergyMeterOptions options;
  options.max_seconds = 3.0;
  const joule::Status too_slow = measure(slow, options, r);
  CHECK(std::string(too_slow.message())
            .find("the counter advanced 108 J in 3.0 s, less than 1000 J") == 0);

  EnergyMeterOptions bad;
  bad.min_seconds = 0;
  CHECK(!measure(dead, bad, r).ok());
}
