// The zoo behind one interface, so that the command line can pick a network by name. Each entry
// is a ZooModel<Net> instantiated in a zoo_*.cpp file (one per family, so they build in parallel).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "joule/io/safetensors.hpp"
#include "joule/io/weights_header.hpp"
#include "joule/joule.hpp"
#include "joule/runtime/thread_pool.hpp"

namespace joule::cli {

class Model {
 public:
  virtual ~Model() = default;
  virtual Extent input() const = 0;
  virtual Extent output() const = 0;
  virtual Cost cost() const = 0;
  virtual std::size_t arena_bytes() const = 0;
  virtual std::size_t weight_bytes() const = 0;
  virtual void visit(const std::function<void(const NodeInfo&)>& visitor) const = 0;
  virtual void report(const std::function<void(std::string_view)>& write_line) const = 0;
  /// Binds the weights by their torchvision names; run() may follow.
  virtual Status bind(io::SafetensorsFile& file) = 0;
  /// Threads for run() and profile() (1 by default).
  virtual void set_threads(int threads) = 0;
  /// Deterministic weights (graph/deterministic_weights.hpp), for timing without a weights file.
  virtual Status randomize(unsigned seed) = 0;
  virtual void run(const float* input, float* output) = 0;
  /// Runs once with every leaf layer timed; seconds per leaf, in the order visit() lists leaves.
  virtual std::vector<double> profile() = 0;
  virtual Status write_header(std::ostream& out, std::string_view identifier, std::string_view description) const = 0;
};

/// Runs the kernels and times each leaf (and each residual sum) in execution order.
struct TimingRunner {
  KernelRunner kernels;
  std::vector<double> seconds;

  template <class Leaf>
  void leaf(const std::byte* weights, const std::byte* in, std::byte* out, std::byte* scratch) {
    const auto start = std::chrono::steady_clock::now();
    kernels.leaf<Leaf>(weights, in, out, scratch);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  template <class AddOp>
  void add(const std::byte* weights, const std::byte* a, const std::byte* b, std::byte* out) {
    const auto start = std::chrono::steady_clock::now();
    kernels.add<AddOp>(weights, a, b, out);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  void stash_begin(const std::byte*, std::size_t) {}
  void stash_end() {}
};

template <class Net>
class ZooModel final : public Model {
 public:
  ZooModel() = default;

  Extent input() const override { return extent_of<typename Net::input>; }
  Extent output() const override { return extent_of<typename Net::output>; }
  Cost cost() const override { return Net::cost; }
  std::size_t arena_bytes() const override { return Net::arena_bytes; }
  std::size_t weight_bytes() const override { return Net::weight_bytes; }
  void visit(const std::function<void(const NodeInfo&)>& visitor) const override { Net::visit(visitor); }
  void report(const std::function<void(std::string_view)>& write_line) const override {
    write_report<Net>(write_line);
  }
  Status bind(io::SafetensorsFile& file) override { return bind_weights<Net>(file, weights()); }
  Status randomize(unsigned seed) override {
    const auto source = std::make_unique<DeterministicWeights<Net::max_source_elements>>(seed);
    return bind_weights<Net>(*source, weights());
  }
  void set_threads(int threads) override {
    threads_ = threads;
    pool_ = threads > 1 ? std::make_unique<runtime::ThreadPool>(threads) : nullptr;
    arena_.reset();
  }
  void run(const float* input, float* output) override {
    Net net = network();
    net.forward(std::span<const float, Net::input::size>(input, Net::input::size),
                std::span<float, Net::output::size>(output, Net::output::size));
  }
  std::vector<double> profile() override {
    TimingRunner runner;
    runner.kernels.context = network().context();
    Net::execute(runner, weights().data, arena_.get());
    return std::move(runner.seconds);
  }
  Status write_header(std::ostream& out, std::string_view identifier, std::string_view description) const override {
    if (!weights_) return Status::error(ErrorCode::invalid_argument, "no weights bound");
    return io::write_weights_header(out, std::span<const std::byte>(weights_->data, Net::weight_bytes), identifier,
                                    description);
  }

 private:
  struct AlignedDelete {
    void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t(tensor_alignment)); }
  };

  // Allocated on first use (without zeroing: binding fills every float), so that listing costs
  // allocates nothing. The arena holds the plan and each extra thread's scratch.
  typename Net::Weights& weights() {
    if (!weights_) weights_.reset(new typename Net::Weights);
    return *weights_;
  }
  Net network() {
    const std::size_t bytes = Net::arena_bytes_for(threads_);
    if (!arena_) arena_.reset(new (std::align_val_t(tensor_alignment)) std::byte[bytes]);
    return Net(std::as_const(weights()).span(), std::span<std::byte>(arena_.get(), bytes), pool_.get());
  }

  std::unique_ptr<typename Net::Weights> weights_;
  std::unique_ptr<std::byte[], AlignedDelete> arena_;
  int threads_ = 1;
  std::unique_ptr<runtime::ThreadPool> pool_;
};

struct ZooEntry {
  std::string name;
  std::function<std::unique_ptr<Model>()> make;
};

template <class Net>
ZooEntry zoo_entry(std::string name) {
  return ZooEntry{std::move(name), [] { return std::unique_ptr<Model>(std::make_unique<ZooModel<Net>>()); }};
}

/// An X of the zoo registry (joule/models/registry.hpp), expanded where `zoo` is the list to fill.
#define JOULE_CLI_ZOO_ENTRY(name, resolution, pytorch, ...) zoo.push_back(zoo_entry<__VA_ARGS__>(name));

void add_mobilenet_v1(std::vector<ZooEntry>& zoo);
void add_mobilenet_v2_v3(std::vector<ZooEntry>& zoo);
void add_efficientnet(std::vector<ZooEntry>& zoo);

/// Every model, in the order of the zoo registry (joule/models/registry.hpp).
inline const std::vector<ZooEntry>& zoo() {
  static const std::vector<ZooEntry> entries = [] {
    std::vector<ZooEntry> all;
    add_mobilenet_v1(all);
    add_mobilenet_v2_v3(all);
    add_efficientnet(all);
    return all;
  }();
  return entries;
}

}  // namespace joule::cli
