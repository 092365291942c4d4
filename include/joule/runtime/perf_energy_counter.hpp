// PerfEnergyCounter: package energy through perf's power/energy-pkg/ event (method "perf"), the
// same RAPL registers as powercap_counter.hpp through perf_event_open(2) instead of sysfs.
//
// The event is described in sysfs (the kernel's Documentation/ABI/testing/
// sysfs-bus-event_source-devices-*): /sys/bus/event_source/devices/power/ has `type` (the
// perf_event_attr type of the PMU), `cpumask` (one CPU per package, where the event is opened),
// `format/<term>` ("config:0-7": where a term's value goes in the attr), and
// `events/energy-pkg` ("event=0x02": the terms), `events/energy-pkg.scale` (joules per count,
// 2^-32) and `events/energy-pkg.unit` ("Joules"). The kernel keeps a 64-bit count that does not
// wrap.
//
// The event counts a whole package, so it is opened per CPU of cpumask (pid -1), which needs
// /proc/sys/kernel/perf_event_paranoid <= 0 or CAP_PERFMON (or CAP_SYS_ADMIN); see
// docs/energy.md, "Permissions". `root` is where the trees are: "/" on a machine, a recorded tree
// in the tests (which test describe_perf_energy: opening needs the machine's own PMU).
#pragma once

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
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

/// What sysfs says about the energy-pkg event: enough to open it.
struct PerfEnergyEvent {
  std::uint32_t type = 0;    // perf_event_attr.type
  std::uint64_t config = 0;  // perf_event_attr.config, the event's terms placed by format/
  double joules_per_count = 0;
  std::vector<int> cpus;  // cpumask: where to open it, one per package
};

namespace detail {

/// A cpulist ("0", "0,64", "0-3,8") as its CPUs.
inline bool parse_cpu_list(std::string_view text, std::vector<int>& cpus) {
  cpus.clear();
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t dash = item.find('-');
    std::uint64_t first = 0, last = 0;
    if (!parse_unsigned(item.substr(0, dash), first)) return false;
    last = first;
    if (dash != std::string_view::npos && !parse_unsigned(item.substr(dash + 1), last))
      return false;
    if (last < first || last > 65535) return false;
    for (std::uint64_t cpu = first; cpu <= last; ++cpu) cpus.push_back(static_cast<int>(cpu));
  }
  return !cpus.empty();
}

/// A format/ file ("config:0-7", "config:3") as the lowest bit of its field in `config`; false for
/// another field (config1, config2) or another form.
inline bool parse_config_format(std::string_view text, unsigned& low_bit, unsigned& bits) {
  constexpr std::string_view prefix = "config:";
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  const std::size_t dash = text.find('-');
  std::uint64_t low = 0, high = 0;
  if (!parse_unsigned(text.substr(0, dash), low)) return false;
  high = low;
  if (dash != std::string_view::npos && !parse_unsigned(text.substr(dash + 1), high)) return false;
  if (high < low || high > 63) return false;
  low_bit = static_cast<unsigned>(low);
  bits = static_cast<unsigned>(high - low + 1);
  return true;
}

inline Status perf_format_error(const std::filesystem::path& path, std::string_view what,
                                std::string_view text) {
  Status status = path_error(path, what, ErrorCode::format_error);
  return status.append(": '").append(text.substr(0, 60)).append("'");
}

}  // namespace detail

/// Reads the energy-pkg event's description under root/sys/bus/event_source/devices/power.
inline Status describe_perf_energy(const std::filesystem::path& root, PerfEnergyEvent& event) {
  event = PerfEnergyEvent{};
  const std::filesystem::path pmu = root / "sys/bus/event_source/devices/power";
  std::error_code error;
  if (!std::filesystem::exists(pmu, error))
    return Status::error(ErrorCode::not_found, "no ").append(pmu.string());
  std::uint64_t type = 0;
  if (Status s = read_sysfs_unsigned(pmu / "type", type); !s.ok()) return s;
  if (type > 0xffffffffu) return path_error(pmu / "type", "out of range", ErrorCode::format_error);
  event.type = static_cast<std::uint32_t>(type);

  std::string text;
  const std::filesystem::path cpumask = pmu / "cpumask";
  if (Status s = read_sysfs_text(cpumask, text); !s.ok()) return s;
  if (!detail::parse_cpu_list(text, event.cpus))
    return detail::perf_format_error(cpumask, "not a CPU list", text);

  const std::filesystem::path terms_path = pmu / "events/energy-pkg";
  if (Status s = read_sysfs_text(terms_path, text); !s.ok()) return s;
  std::string_view terms = text;
  while (!terms.empty()) {
    const std::size_t comma = terms.find(',');
    const std::string_view term = terms.substr(0, comma);
    terms = comma == std::string_view::npos ? std::string_view() : terms.substr(comma + 1);
    const std::size_t equals = term.find('=');
    const std::string_view name = term.substr(0, equals);
    std::uint64_t value = 1;  // a term without a value is 1
    if (name.empty() || name.find('/') != std::string_view::npos ||
        (equals != std::string_view::npos && !parse_unsigned(term.substr(equals + 1), value)))
      return detail::perf_format_error(terms_path, "not terms of the form name=0xNN", text);
    std::string format;
    const std::filesystem::path format_path = pmu / "format" / std::string(name);
    if (Status s = read_sysfs_text(format_path, format); !s.ok()) return s;
    unsigned low_bit = 0, bits = 0;
    if (!detail::parse_config_format(format, low_bit, bits))
      return detail::perf_format_error(format_path, "not a field of config (config:LOW-HIGH)",
                                       format);
    if (bits < 64 && value >> bits != 0)
      return detail::perf_format_error(terms_path, "a value wider than its field", text);
    event.config |= value << low_bit;
  }

  const std::filesystem::path unit_path = pmu / "events/energy-pkg.unit";
  if (Status s = read_sysfs_text(unit_path, text); !s.ok()) return s;
  if (text != "Joules") return detail::perf_format_error(unit_path, "not 'Joules'", text);
  const std::filesystem::path scale_path = pmu / "events/energy-pkg.scale";
  if (Status s = read_sysfs_text(scale_path, text); !s.ok()) return s;
  const auto [end, parse_error] =
      std::from_chars(text.data(), text.data() + text.size(), event.joules_per_count);
  if (parse_error != std::errc() || end != text.data() + text.size() ||
      !(event.joules_per_count > 0 && event.joules_per_count < 1))
    return detail::perf_format_error(scale_path, "not a scale between 0 and 1 joule per count",
                                     text);
  return Status::success();
}

class PerfEnergyCounter final : public EnergyCounter {
 public:
  /// Describes the event under `root` and opens it on each CPU of its cpumask.
  static Status open(const std::filesystem::path& root,
                     std::unique_ptr<PerfEnergyCounter>& counter) {
    counter.reset();
    auto result = std::unique_ptr<PerfEnergyCounter>(new PerfEnergyCounter);
    if (Status s = describe_perf_energy(root, result->event_); !s.ok()) return s;
    for (int cpu : result->event_.cpus) {
      perf_event_attr attr;
      std::memset(&attr, 0, sizeof attr);
      attr.type = result->event_.type;
      attr.size = sizeof attr;
      attr.config = result->event_.config;
      const long fd = ::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
      if (fd < 0) {
        const int error = errno;
        Status status =
            Status::error(ErrorCode::io_error, "perf_event_open(power/energy-pkg/, cpu ");
        status.append(cpu).append("): ").append(reason_of(error));
        if (error == EACCES || error == EPERM) {
          std::string paranoid;
          status.append(
              " (CPU-wide events need /proc/sys/kernel/perf_event_paranoid <= 0 or "
              "CAP_PERFMON");
          if (read_sysfs_text(root / "proc/sys/kernel/perf_event_paranoid", paranoid).ok())
            status.append("; it is ").append(std::string_view(paranoid).substr(0, 8));
          status.append(": docs/energy.md, Permissions)");
        }
        return status;
      }
      result->fds_.push_back(static_cast<int>(fd));
      result->start_.push_back(0);
    }
    for (std::size_t i = 0; i < result->fds_.size(); ++i)
      if (Status s = result->read_count(i, result->start_[i]); !s.ok()) return s;
    counter = std::move(result);
    return Status::success();
  }

  ~PerfEnergyCounter() override {
    for (int fd : fds_) ::close(fd);
  }
  PerfEnergyCounter(const PerfEnergyCounter&) = delete;
  PerfEnergyCounter& operator=(const PerfEnergyCounter&) = delete;

  std::string_view method() const override { return "perf"; }
  std::string source() const override {
    std::string text = "power/energy-pkg/ on CPU";
    text += event_.cpus.size() == 1 ? " " : "s ";
    for (std::size_t i = 0; i < event_.cpus.size(); ++i) {
      text += i ? "," : "";
      text += std::to_string(event_.cpus[i]);
    }
    return text;
  }
  double resolution_joules() const override { return event_.joules_per_count; }

  Status read(double& joules) override {
    std::uint64_t counts = 0;
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      std::uint64_t now = 0;
      if (Status s = read_count(i, now); !s.ok()) return s;
      counts += now - start_[i];
    }
    joules = static_cast<double>(counts) * event_.joules_per_count;
    return Status::success();
  }

  const PerfEnergyEvent& event() const { return event_; }

 private:
  PerfEnergyCounter() = default;

  Status read_count(std::size_t i, std::uint64_t& count) const {
    ssize_t got = 0;
    do {
      got = ::read(fds_[i], &count, sizeof count);
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(sizeof count)) {
      Status status = Status::error(ErrorCode::io_error, "reading power/energy-pkg/ on cpu ");
      return status.append(event_.cpus[i]).append(": ").append(reason_of(got < 0 ? errno : EIO));
    }
    return Status::success();
  }

  PerfEnergyEvent event_;
  std::vector<int> fds_;
  std::vector<std::uint64_t> start_;
};

}  // namespace joule::inline JOULE_TARGET::runtime
