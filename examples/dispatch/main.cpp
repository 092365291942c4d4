// One binary, four instruction-set levels: the network is compiled for x86-64, -v2 (SSE4.2),
// -v3 (AVX2 + FMA) and -v4 (AVX-512), and the program runs the best level the CPU it finds
// itself on supports.
//
//   joule_dispatch                   run the best level, print its report (with each layer's kernel)
//   joule_dispatch --level x86-64-v2 run that level (an error if the CPU lacks it)
//   joule_dispatch --all             also run every supported level and compare each output with
//                                    the baseline level's (relative difference at most 1e-4)
//   joule_dispatch --expect LEVEL    fail unless LEVEL is the one chosen (for tests under
//                                    qemu-x86_64 -cpu Haswell, Nehalem, ...)
//
// This file is compiled for baseline x86-64: it must run on any x86-64 CPU to make the choice.
#include "levels.hpp"
#include "network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Candidate {
  dispatch::Level (*level)();
  const char* march;
  bool supported;
};

std::vector<Candidate> candidates() {
  __builtin_cpu_init();
#if defined(__clang__)
  // Clang 14 knows no level names here; the levels' defining features instead.
  const bool v2 = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("ssse3");
  const bool v3 = v2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
                  __builtin_cpu_supports("bmi2");
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  const bool v2 = __builtin_cpu_supports("x86-64-v2");
  const bool v3 = __builtin_cpu_supports("x86-64-v3");
  const bool v4 = __builtin_cpu_supports("x86-64-v4");
#endif
  // Best first.
  return {{&dispatch::level_x86_64_v4, "x86-64-v4", v4},
          {&dispatch::level_x86_64_v3, "x86-64-v3", v3},
          {&dispatch::level_x86_64_v2, "x86-64-v2", v2},
          {&dispatch::level_x86_64, "x86-64", true}};
}

// joule's deterministic weights in PyTorch's layout, shaped and named by the network's parameter
// list.
struct Weights {
  std::vector<std::string> names;
  std::vector<std::vector<float>> values;
  std::vector<dispatch::Tensor> tensors;
};

Weights deterministic_weights() {
  Weights weights;
  dispatch::Net::visit([&](const joule::NodeInfo& node) {
    for (const joule::TensorSpec& spec : node.tensors) {
      const std::string& name = weights.names.emplace_back(
          joule::tensor_name(node.path, node.part_names[spec.part], spec.name).view());
      auto& values = weights.values.emplace_back(spec.elements());
      for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = joule::deterministic_value(2026, spec, name, i);
      dispatch::Tensor tensor{nullptr, nullptr, spec.rank, {}};
      for (int d = 0; d < spec.rank; ++d) tensor.dims[d] = spec.dims[static_cast<std::size_t>(d)];
      weights.tensors.push_back(tensor);
    }
  });
  for (std::size_t i = 0; i < weights.tensors.size(); ++i) {
    weights.tensors[i].name = weights.names[i].c_str();
    weights.tensors[i].values = weights.values[i].data();
  }
  return weights;
}

void print_line(const char* line, void*) { std::printf("  %s\n", line); }
void ignore_line(const char*, void*) {}

int usage(const char* message) {
  std::fprintf(stderr, "joule_dispatch: %s\nusage: joule_dispatch [--level LEVEL] [--all] [--expect LEVEL]\n", message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string forced, expected;
  bool all = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--all") {
      all = true;
    } else if ((arg == "--level" || arg == "--expect") && i + 1 < argc) {
      (arg == "--level" ? forced : expected) = argv[++i];
    } else {
      return usage(("unknown argument " + arg).c_str());
    }
  }

  const std::vector<Candidate> levels = candidates();
  std::printf("CPU supports:");
  for (const Candidate& c : levels)
    if (c.supported) std::printf(" %s", c.march);
  std::printf("\n");

  const Candidate* chosen = nullptr;
  for (const Candidate& c : levels) {
    if (forced.empty() ? c.supported : forced == c.march) {
      chosen = &c;
      break;
    }
  }
  if (!chosen) return usage(("no level named " + forced).c_str());
  if (!chosen->supported) {
    std::fprintf(stderr, "joule_dispatch: this CPU cannot run %s\n", chosen->march);
    return 1;
  }

  const Weights weights = deterministic_weights();
  std::vector<float> input(dispatch::Net::input::size);
  std::mt19937 engine(7);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : input) v = pixel(engine);
  const int count = static_cast<int>(weights.tensors.size());

  const dispatch::Level level = chosen->level();
  std::printf("running %s: kernels for %s\n", level.march, level.simd);
  std::vector<float> output(dispatch::Net::output::size);
  if (level.run(weights.tensors.data(), count, input.data(), output.data(), &print_line, nullptr) != 0) return 1;
  std::printf("output:");
  for (float v : output) std::printf(" %.6g", v);
  std::printf("\n");

  int failures = 0;
  if (!expected.empty() && expected != level.march) {
    std::printf("FAILED: expected %s to be chosen\n", expected.c_str());
    ++failures;
  }

  if (all) {
    std::vector<float> baseline(output.size());
    if (dispatch::level_x86_64().run(weights.tensors.data(), count, input.data(), baseline.data(), &ignore_line,
                                     nullptr) != 0)
      return 1;
    double scale = 0;
    bool finite = true;
    for (float v : baseline) {
      finite = finite && std::isfinite(v);
      scale = std::max(scale, double(std::fabs(v)));
    }
    // A limit of infinity would let any output pass: the baseline itself must be finite.
    if (!finite) {
      std::printf("FAILED: the x86-64 output holds a NaN or an infinity\n");
      ++failures;
    }
    for (const Candidate& c : levels) {
      if (!c.supported) continue;
      const dispatch::Level other = c.level();
      std::vector<float> result(output.size());
      if (other.run(weights.tensors.data(), count, input.data(), result.data(), &ignore_line, nullptr) != 0) return 1;
      double worst = 0;
      for (std::size_t i = 0; i < result.size(); ++i) {
        const double difference = std::fabs(result[i] - baseline[i]);
        worst = std::isnan(difference) ? INFINITY
                                       : std::max(worst, difference);  // std::max drops a NaN
        if (std::isinf(worst)) break;
      }
      const bool ok = worst <= 1e-4 * scale;
      std::printf("%-10s %-10s max |difference| to x86-64 %.3g (limit %.3g): %s\n", other.march, other.simd, worst,
                  1e-4 * scale, ok ? "ok" : "FAILED");
      failures += ok ? 0 : 1;
    }
  }
  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
