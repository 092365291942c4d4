// The zoo behind one interface, so that the command line can pick a network by name. Each entry
// is a ZooModel<Net> instantiated in a zoo_*.cpp file (one per family, so they build in parallel).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
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
  /// Deterministic random weights, for timing without a weights file.
  virtual void randomize(unsigned seed) = 0;
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
  void leaf(const float* weights, const float* in, float* out, float* scratch) {
    const auto start = std::chrono::steady_clock::now();
    kernels.leaf<Leaf>(weights, in, out, scratch);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  template <class AddOp>
  void add(const float* a, const float* b, float* out) {
    const auto start = std::chrono::steady_clock::now();
    kernels.add<AddOp>(a, b, out);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  void stash_begin(const float*, std::size_t) {}
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
  void randomize(unsigned seed) override {
    std::mt19937 engine(seed);
    std::uniform_real_distribution<float> value(-0.05f, 0.05f);
    for (float& w : weights().data) w = value(engine);
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
    return io::write_weights_header(out, std::span<const float>(weights_->data, Net::weight_floats), identifier,
                                    description);
  }

 private:
  struct AlignedDelete {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t(tensor_alignment)); }
  };

  // Allocated on first use (without zeroing: binding fills every float), so that listing costs
  // allocates nothing. The arena holds the plan and each extra thread's scratch.
  typename Net::Weights& weights() {
    if (!weights_) weights_.reset(new typename Net::Weights);
    return *weights_;
  }
  Net network() {
    const std::size_t floats = Net::arena_floats_for(threads_);
    if (!arena_) arena_.reset(new (std::align_val_t(tensor_alignment)) float[floats]);
    return Net(std::span<const float, Net::weight_floats>(weights().data, Net::weight_floats),
               std::span<std::byte>(reinterpret_cast<std::byte*>(arena_.get()), floats * sizeof(float)), pool_.get());
  }

  std::unique_ptr<typename Net::Weights> weights_;
  std::unique_ptr<float[], AlignedDelete> arena_;
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

void add_mobilenet_v1(std::vector<ZooEntry>& zoo);
void add_mobilenet_v2_v3(std::vector<ZooEntry>& zoo);
void add_efficientnet(std::vector<ZooEntry>& zoo);

/// Every model, in the order `joule list` prints them.
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
