// The energy counters' readers on recorded sysfs trees (sysfs_trees/, see its README): which zones
// and events they find on an Intel and an AMD machine, a wrap of the counter between two reads, an
// unreadable counter, a missing tree, malformed files. Each test copies a tree to a scratch
// directory, changes it there, and passes the copy as the reader's root.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../io/io_test_support.hpp"
#include "joule/runtime/open_energy_counter.hpp"

namespace {

namespace fs = std::filesystem;
using joule::runtime::EnergyCounter;
using joule::runtime::PerfEnergyCounter;
using joule::runtime::PerfEnergyEvent;
using joule::runtime::PowercapCounter;

const fs::path trees = JOULE_SYSFS_TREES;

/// A scratch copy of a recorded tree.
struct Tree {
  iotest::TempDir dir;
  explicit Tree(const std::string& name) {
    fs::copy(trees / name, dir.path(), fs::copy_options::recursive);
  }
  fs::path zone(const std::string& id) const { return dir.path() / "sys/class/powercap" / id; }
  void write(const fs::path& file, const std::string& text) const {
    std::ofstream out(file, std::ios::trunc);
    out << text << '\n';
    REQUIRE(out.good());
  }
};

std::string open_error(const fs::path& root) {
  std::unique_ptr<PowercapCounter> counter;
  const joule::Status status = PowercapCounter::open(root, counter);
  CHECK(!status.ok());
  CHECK(counter == nullptr);
  return std::string(status.message());
}

double read_joules(EnergyCounter& counter) {
  double joules = -1;
  const joule::Status status = counter.read(joules);
  INFO(status.message());
  REQUIRE(status.ok());
  return joules;
}

}  // namespace

TEST_CASE("powercap: the Intel tree's one package, not its subzones, psys or the MMIO copy") {
  Tree tree("intel");
  std::unique_ptr<PowercapCounter> counter;
  const joule::Status status = PowercapCounter::open(tree.dir.path(), counter);
  INFO(status.message());
  REQUIRE(status.ok());
  REQUIRE(counter->zones().size() == 1);
  CHECK(counter->zones()[0].id == "intel-rapl:0");
  CHECK(counter->zones()[0].name == "package-0");
  CHECK(counter->zones()[0].max_energy_range_uj == 262143328850u);
  CHECK(counter->method() == "rapl");
  CHECK(counter->source() == "package-0 (intel-rapl:0)");
  CHECK(read_joules(*counter) == 0.0);
  // 5 J more in the package; the core, psys and MMIO zones move too and are not added.
  tree.write(tree.zone("intel-rapl:0") / "energy_uj", "84230670291");
  tree.write(tree.zone("intel-rapl:0:0") / "energy_uj", "40113522870");
  tree.write(tree.zone("intel-rapl:1") / "energy_uj", "153211928837");
  tree.write(tree.zone("intel-rapl-mmio:0") / "energy_uj", "84230669102");
  CHECK(read_joules(*counter) == Approx(5.0).epsilon(1e-12));
}

TEST_CASE("powercap: the AMD tree's two packages are added") {
  Tree tree("amd");
  std::unique_ptr<PowercapCounter> counter;
  REQUIRE(PowercapCounter::open(tree.dir.path(), counter).ok());
  REQUIRE(counter->zones().size() == 2);
  CHECK(counter->zones()[0].name == "package-0");
  CHECK(counter->zones()[1].name == "package-1");
  CHECK(counter->zones()[1].max_energy_range_uj == 65532610987u);
  CHECK(counter->source() == "package-0 (intel-rapl:0), package-1 (intel-rapl:1)");
  tree.write(tree.zone("intel-rapl:0") / "energy_uj", "38421855704");  // +2 J
  tree.write(tree.zone("intel-rapl:1") / "energy_uj", "64931873566");  // +1 J
  CHECK(read_joules(*counter) == Approx(3.0).epsilon(1e-12));
  tree.write(tree.zone("intel-rapl:1") / "energy_uj", "64932373566");  // +0.5 J more
  CHECK(read_joules(*counter) == Approx(3.5).epsilon(1e-12));
}

TEST_CASE("powercap: a wrap between two reads is unwound at max_energy_range_uj") {
  static_assert(joule::runtime::detail::advance_uj(10, 25, 100) == 15);
  static_assert(joule::runtime::detail::advance_uj(90, 5, 100) == 15);
  static_assert(joule::runtime::detail::advance_uj(7, 7, 100) == 0);
  Tree tree("amd");
  const fs::path package1 = tree.zone("intel-rapl:1") / "energy_uj";
  tree.write(package1, "65530610987");  // 2 J below the AMD range
  std::unique_ptr<PowercapCounter> counter;
  REQUIRE(PowercapCounter::open(tree.dir.path(), counter).ok());
  tree.write(package1, "1000000");  // wrapped: 2 J to the top, 1 J after it
  CHECK(read_joules(*counter) == Approx(3.0).epsilon(1e-12));
  tree.write(package1, "4000000");  // and on from there
  CHECK(read_joules(*counter) == Approx(6.0).epsilon(1e-12));
}

TEST_CASE("powercap: without the MSR zones, the MMIO interface's package") {
  Tree tree("intel");
  for (const char* id : {"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1"})
    fs::remove_all(tree.zone(id));
  std::unique_ptr<PowercapCounter> counter;
  REQUIRE(PowercapCounter::open(tree.dir.path(), counter).ok());
  REQUIRE(counter->zones().size() == 1);
  CHECK(counter->zones()[0].id == "intel-rapl-mmio:0");
}

TEST_CASE("powercap: a counter the user may not read is refused naming the file") {
  Tree tree("intel");
  const fs::path energy = tree.zone("intel-rapl:0") / "energy_uj";
  fs::permissions(energy, fs::perms::none);
  const bool chmod_stops_reading = !std::ifstream(energy).is_open();
  if (chmod_stops_reading) {
    const std::string message = open_error(tree.dir.path());
    CHECK(message.find(energy.string() + ": permission denied") != std::string::npos);
    CHECK(message.find("root only since Linux 5.10") != std::string::npos);
    return;
  }
  // Root reads a file of mode 000: open the tree as an unprivileged user (nobody) in a child.
  // A child that cannot become that user reports it, and the test fails rather than passing.
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string message;
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      message = "could not become uid 65534 to test the refusal as a user";
    } else {
      std::unique_ptr<PowercapCounter> counter;
      const joule::Status status = PowercapCounter::open(tree.dir.path(), counter);
      message = status.ok() ? std::string("opened") : std::string(status.message());
    }
    const ssize_t ignored = ::write(pipe_fds[1], message.data(), message.size());
    static_cast<void>(ignored);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    message.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_fds[0]);
  int child_status = 0;
  ::waitpid(child, &child_status, 0);
  INFO("as uid 65534: " << message);
  CHECK(message.find(energy.string() + ": permission denied") != std::string::npos);
  CHECK(message.find("root only since Linux 5.10") != std::string::npos);
}

TEST_CASE("powercap: a directory where energy_uj should be is refused naming it") {
  Tree tree("amd");
  const fs::path energy = tree.zone("intel-rapl:1") / "energy_uj";
  fs::remove(energy);
  fs::create_directory(energy);
  CHECK(open_error(tree.dir.path()) == energy.string() + ": is a directory, not a file");
}

TEST_CASE("powercap: a missing tree, a tree without packages, malformed files") {
  iotest::TempDir empty;
  CHECK(open_error(empty.path()) == "no " + (empty.path() / "sys/class/powercap").string());

  Tree only_psys("intel");
  for (const char* id : {"intel-rapl:0", "intel-rapl-mmio:0"}) fs::remove_all(only_psys.zone(id));
  const std::string none = open_error(only_psys.dir.path());
  CHECK(none.find("no package zone in ") == 0);
  CHECK(none.find("(only intel-rapl:1 psys)") != std::string::npos);

  Tree garbage("intel");
  garbage.write(garbage.zone("intel-rapl:0") / "energy_uj", "12abc");
  CHECK(open_error(garbage.dir.path()).find("energy_uj: not an unsigned number: '12abc'") !=
        std::string::npos);

  Tree above("intel");
  above.write(above.zone("intel-rapl:0") / "energy_uj", "262143328851");
  CHECK(open_error(above.dir.path()).find("energy_uj: above max_energy_range_uj") !=
        std::string::npos);

  Tree no_range("amd");
  fs::remove(no_range.zone("intel-rapl:0") / "max_energy_range_uj");
  CHECK(open_error(no_range.dir.path()).find("max_energy_range_uj: missing") != std::string::npos);

  // A counter that opened and then lost its file says so on read.
  Tree vanishing("intel");
  std::unique_ptr<PowercapCounter> counter;
  REQUIRE(PowercapCounter::open(vanishing.dir.path(), counter).ok());
  fs::remove(vanishing.zone("intel-rapl:0") / "energy_uj");
  double joules = 0;
  const joule::Status status = counter->read(joules);
  CHECK(std::string(status.message()).find("energy_uj: missing") != std::string::npos);
}

TEST_CASE("perf: the energy-pkg event as sysfs describes it, Intel and AMD") {
  PerfEnergyEvent event;
  const joule::Status intel = joule::runtime::describe_perf_energy(trees / "intel", event);
  INFO(intel.message());
  REQUIRE(intel.ok());
  CHECK(event.type == 24);
  CHECK(event.config == 2);
  CHECK(event.joules_per_count == std::ldexp(1.0, -32));
  CHECK(event.cpus == std::vector<int>{0});

  REQUIRE(joule::runtime::describe_perf_energy(trees / "amd", event).ok());
  CHECK(event.type == 11);
  CHECK(event.cpus == std::vector<int>{0, 64});

  // The format says where the term goes.
  Tree shifted("intel");
  const fs::path pmu = shifted.dir.path() / "sys/bus/event_source/devices/power";
  shifted.write(pmu / "format/event", "config:8-15");
  REQUIRE(joule::runtime::describe_perf_energy(shifted.dir.path(), event).ok());
  CHECK(event.config == 0x200);
  shifted.write(pmu / "cpumask", "0-1,4");
  REQUIRE(joule::runtime::describe_perf_energy(shifted.dir.path(), event).ok());
  CHECK(event.cpus == std::vector<int>{0, 1, 4});
}

TEST_CASE("perf: a missing PMU and malformed descriptions are refused naming the file") {
  PerfEnergyEvent event;
  iotest::TempDir empty;
  const fs::path pmu_path = empty.path() / "sys/bus/event_source/devices/power";
  CHECK(joule::runtime::describe_perf_energy(empty.path(), event).message() ==
        "no " + pmu_path.string());
  const auto refusal = [&](const char* file, const char* text) {
    Tree tree("intel");
    const fs::path pmu = tree.dir.path() / "sys/bus/event_source/devices/power";
    if (text)
      tree.write(pmu / file, text);
    else
      fs::remove(pmu / file);
    return std::string(joule::runtime::describe_perf_energy(tree.dir.path(), event).message());
  };
  CHECK(refusal("events/energy-pkg.unit", "mJ").find("energy-pkg.unit: not 'Joules': 'mJ'") !=
        std::string::npos);
  CHECK(refusal("events/energy-pkg.scale", "-1").find("energy-pkg.scale: not a scale") !=
        std::string::npos);
  CHECK(refusal("events/energy-pkg", "event=zz").find("not terms of the form") !=
        std::string::npos);
  CHECK(refusal("events/energy-pkg", "event=0x1ff").find("a value wider than its field") !=
        std::string::npos);
  CHECK(refusal("format/event", "config1:0-7").find("not a field of config") != std::string::npos);
  CHECK(refusal("cpumask", "").find("cpumask: not a CPU list") != std::string::npos);
  CHECK(refusal("type", nullptr).find("power/type: missing") != std::string::npos);
  CHECK(refusal("events/energy-pkg", nullptr).find("events/energy-pkg: missing") !=
        std::string::npos);
}

TEST_CASE("open_energy_counter: RAPL first, and with nothing one line of what each method tried") {
  Tree tree("amd");
  std::string tried = "stale";
  const std::unique_ptr<EnergyCounter> counter =
      joule::runtime::open_energy_counter(tree.dir.path(), tried);
  REQUIRE(counter != nullptr);
  CHECK(counter->method() == "rapl");
  CHECK(tried.empty());

  iotest::TempDir empty;
  CHECK(joule::runtime::open_energy_counter(empty.path(), tried) == nullptr);
  CHECK(tried == "rapl: no " + (empty.path() / "sys/class/powercap").string() + "; perf: no " +
                     (empty.path() / "sys/bus/event_source/devices/power").string());
  CHECK(tried.find('\n') == std::string::npos);
}
