// A custom efficient network written with joule's types: 96x96 RGB in, 10 classes out.
// It checks its budgets at compile time, binds (deterministic) weights by name, prints its
// per-layer report and runs one inference on a random input.
#include <joule/joule.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

using namespace joule;

// Each layer names only what it adds; the input shape flows from the previous layer.
using Net = Network<Shape<96, 96, 3>,
                    Conv2d<16, 3, 2, ReLU6>,        // out channels, kernel, stride, activation
                    InvertedResidual<16, 1, 3, 1>,  // out, expansion, kernel, stride
                    InvertedResidual<24, 6, 3, 2>,
                    InvertedResidual<24, 6, 5, 1, SqueezeExcite<4>, HardSwish>,
                    GlobalAvgPool,
                    Linear<10>>;

static_assert(Net::cost.macs < 20'000'000, "compile-time budget: MACs");
static_assert(Net::arena_bytes <= 2 * 1024 * 1024, "compile-time budget: activation memory");

int main() {
  write_report<Net>([](std::string_view line) { std::printf("%.*s\n", static_cast<int>(line.size()), line.data()); });

  // Weights normally come from PyTorch (a state_dict with the names the report lists); here they
  // are joule's deterministic ones, shaped by what each layer asks for.
  auto weights = std::make_unique<Net::Weights>();
  auto arena = std::make_unique<Net::Arena>();
  auto source = std::make_unique<DeterministicWeights<Net::max_source_elements>>(2026);
  if (const Status status = bind_weights<Net>(*source, *weights); !status.ok()) {
    std::fprintf(stderr, "binding failed: %s\n", status.c_str());
    return 1;
  }

  std::vector<float> input(Net::input::size);
  std::mt19937 engine(7);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : input) v = pixel(engine);
  std::vector<float> output(Net::output::size);

  Net net(*weights, *arena);
  const auto start = std::chrono::steady_clock::now();
  net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
              std::span<float, Net::output::size>(output.data(), output.size()));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  std::printf("\noutput:");
  for (float v : output) std::printf(" %.4f", static_cast<double>(v));
  std::printf("\none inference (%.*s kernels, one thread): %.2f ms\n", static_cast<int>(arch::name.size()),
              arch::name.data(), ms);
  return 0;
}
