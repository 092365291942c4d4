// The zoo behind one interface, so that the command line can pick a network by name and
// precision. Each registry entry (joule/models/registry.hpp) becomes a ZooEntry in a zoo_*.cpp
// file (one per family, so they build in parallel): its float network ZooModel<Net>, its int8
// networks ZooModel<quant::Quantized<Net>> (float in and out) and
// ZooModel<quant::Quantized<Net, quant::Edges::int8>> (int8 in and out), and the quantization
// that makes the int8 tensors from the float weights and a calibration set.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "joule/io/safetensors.hpp"
#include "joule/io/tensor_store.hpp"
#include "joule/io/weights_header.hpp"
#include "joule/joule.hpp"
#include "joule/quant.hpp"
#include "joule/quant/calibrate.hpp"
#include "joule/quant/quantize_weights.hpp"
#include "joule/runtime/thread_pool.hpp"

namespace joule::cli {

/// One leaf's output of one inference, as floats (int8 outputs dequantized), for `joule compare`.
struct LayerOutput {
  std::string path;
  std::string kind;
  std::vector<float> values;
};

/// The quantization of an int8-edged model's input and output.
struct EdgeQuantization {
  QuantParams input;
  QuantParams output;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual DType precision() const = 0;
  /// The dtype of the input and output tensors: float32, or int8 for int8 edges.
  virtual DType edge_dtype() const = 0;
  virtual Extent input() const = 0;
  virtual Extent output() const = 0;
  virtual Cost cost() const = 0;
  /// The network's estimated energy per inference (Net::energy(table)).
  virtual energy::Energy energy(const energy::EnergyTable& table) const = 0;
  virtual std::size_t arena_bytes() const = 0;
  virtual std::size_t weight_bytes() const = 0;
  virtual void visit(const std::function<void(const NodeInfo&)>& visitor) const = 0;
  virtual void report(const std::function<void(std::string_view)>& write_line,
                      const energy::EnergyTable& table) const = 0;
  /// Binds the weights by their names; run() may follow.
  virtual Status bind(io::SafetensorsFile& file, BindOptions options) = 0;
  virtual Status bind(const io::TensorStore& store, BindOptions options) = 0;
  /// Threads for run() and profile() (1 by default).
  virtual void set_threads(int threads) = 0;
  /// Deterministic weights (graph/deterministic_weights.hpp), for timing without a weights file.
  virtual Status randomize(unsigned seed) = 0;
  /// One inference: input (H, W, C), output (classes), both of edge_dtype() (float or int8).
  virtual void run(const void* input, void* output) = 0;
  /// Int8 edges: the input's and the output's quantization (weights bound); none otherwise.
  virtual std::optional<EdgeQuantization> edge_quantization() const = 0;
  /// Runs once with every leaf layer timed; seconds per leaf, in the order visit() lists leaves.
  virtual std::vector<double> profile() = 0;
  /// Runs once keeping every leaf's output (float edges; empty for int8 edges).
  virtual std::vector<LayerOutput> capture(const float* input) = 0;
  virtual Status write_header(std::ostream& out, std::string_view identifier, std::string_view description) const = 0;
};

/// Runs the kernels and, after each leaf and each residual sum (in execution order), calls
/// after(its output bytes, their count, the seconds it took). One runner for timing and for
/// keeping outputs, so that each network's plan is compiled for two runners only (this and
/// KernelRunner).
struct ObservingRunner {
  KernelRunner kernels;
  FunctionRef<void(const std::byte*, std::size_t, double)> after;

  template <class Leaf>
  void leaf(const std::byte* weights, const std::byte* in, std::byte* out, std::byte* scratch) {
    const auto start = std::chrono::steady_clock::now();
    kernels.leaf<Leaf>(weights, in, out, scratch);
    after(out, output_bytes<Leaf>,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  template <class AddOp>
  void add(const std::byte* weights, const std::byte* a, const std::byte* b, std::byte* out) {
    const auto start = std::chrono::steady_clock::now();
    kernels.add<AddOp>(weights, a, b, out);
    after(out, output_bytes<AddOp>,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  void stash_begin(const std::byte*, std::size_t) {}
  void stash_end() {}
};

template <class Net>
class ZooModel final : public Model {
 public:
  ZooModel() = default;

  DType precision() const override {
    return std::is_same_v<typename Net::precision, Float32> ? DType::f32 : DType::i8;
  }
  DType edge_dtype() const override { return Net::input_dtype; }
  Extent input() const override { return extent_of<typename Net::input>; }
  Extent output() const override { return extent_of<typename Net::output>; }
  Cost cost() const override { return Net::cost; }
  energy::Energy energy(const energy::EnergyTable& table) const override {
    return Net::energy(table);
  }
  std::size_t arena_bytes() const override { return Net::arena_bytes; }
  std::size_t weight_bytes() const override { return Net::weight_bytes; }
  void visit(const std::function<void(const NodeInfo&)>& visitor) const override { Net::visit(visitor); }
  void report(const std::function<void(std::string_view)>& write_line,
              const energy::EnergyTable& table) const override {
    write_report<Net>(write_line, table);
  }
  Status bind(io::SafetensorsFile& file, BindOptions options) override {
    return bind_from(file, options);
  }
  Status bind(const io::TensorStore& store, BindOptions options) override {
    return bind_from(store, options);
  }
  Status randomize(unsigned seed) override {
    const auto source = std::make_unique<DeterministicWeights<Net::max_source_elements>>(seed);
    return bind_weights<Net>(*source, weights());
  }
  void set_threads(int threads) override {
    threads_ = threads;
    pool_ = threads > 1 ? std::make_unique<runtime::ThreadPool>(threads) : nullptr;
    arena_.reset();
  }
  void run(const void* input, void* output) override {
    using In = typename Net::input_value;
    using Out = typename Net::output_value;
    Net net = network();
    net.forward(
        std::span<const In, Net::input::size>(static_cast<const In*>(input), Net::input::size),
        std::span<Out, Net::output::size>(static_cast<Out*>(output), Net::output::size));
  }
  std::optional<EdgeQuantization> edge_quantization() const override {
    if constexpr (quant::Int8Edged<Net>) {
      if (!weights_) return std::nullopt;
      const auto bound = std::as_const(*weights_).span();
      return EdgeQuantization{quant::input_quantization<Net>(bound),
                              quant::output_quantization<Net>(bound)};
    } else {
      return std::nullopt;
    }
  }
  std::vector<double> profile() override {
    std::vector<double> seconds;
    // Named, not a temporary: the runner holds only a reference to it.
    auto keep_time = [&](const std::byte*, std::size_t, double taken) { seconds.push_back(taken); };
    ObservingRunner runner{KernelRunner{network().context()}, keep_time};
    Net::execute(runner, weights().data, arena_.get());
    return seconds;
  }
  std::vector<LayerOutput> capture(const float* input) override {
    if constexpr (Net::input_dtype != DType::f32) {
      (void)input;
      return {};
    } else {
      return capture_float(input);
    }
  }
  Status write_header(std::ostream& out, std::string_view identifier,
                      std::string_view description) const override {
    if (!weights_) return Status::error(ErrorCode::invalid_argument, "no weights bound");
    return io::write_weights_header(out,
                                    std::span<const std::byte>(weights_->data, Net::weight_bytes),
                                    identifier, description);
  }

 private:
  std::vector<LayerOutput> capture_float(const float* input) {
    Net net = network();
    std::copy_n(input, Net::input::size, net.input_tensor().data());
    std::vector<std::vector<std::byte>> outputs;
    auto keep_output = [&](const std::byte* out, std::size_t bytes, double) {
      outputs.emplace_back(out, out + bytes);
    };
    ObservingRunner runner{KernelRunner{net.context()}, keep_output};
    Net::execute(runner, weights().data, arena_.get());
    std::vector<LayerOutput> layers;
    std::size_t index = 0;
    Net::visit([&](const NodeInfo& node) {
      if (!node.leaf || index >= outputs.size()) return;
      const std::vector<std::byte>& bytes = outputs[index];
      const QuantParams q = index < output_params_.size() ? output_params_[index] : QuantParams{};
      ++index;
      LayerOutput layer{std::string(node.path), std::string(node.kind), {}};
      layer.values.resize(static_cast<std::size_t>(node.output.size()));
      for (std::size_t i = 0; i < layer.values.size(); ++i) {
        if (node.output_dtype == DType::i8) {
          layer.values[i] =
              q.scale * static_cast<float>(static_cast<std::int8_t>(bytes[i]) - q.zero_point);
        } else {
          std::memcpy(&layer.values[i], bytes.data() + i * sizeof(float), sizeof(float));
        }
      }
      layers.push_back(std::move(layer));
    });
    return layers;
  }

  struct AlignedDelete {
    void operator()(std::byte* p) const {
      ::operator delete[](p, std::align_val_t(tensor_alignment));
    }
  };

  template <class Source>
  Status bind_from(Source& source, BindOptions options) {
    const Status status = bind_weights<Net>(source, weights(), options);
    if (status.ok()) remember_output_params(source);
    return status;
  }

  /// The quantization of each leaf's output (for capture), as binding passes it along.
  template <class Source>
  void remember_output_params(Source& source) {
    output_params_.clear();
    QuantParams current{};
    Net::visit([&](const NodeInfo& node) {
      if (!node.leaf) return;
      if (node.output_quantization >= 0) {
        const TensorSpec& spec = node.tensors[static_cast<std::size_t>(node.output_quantization)];
        const std::string base(tensor_name(node.path, node.part_names[spec.part], "").view());
        const TensorData* scale = source.find(base + ".scale");
        const TensorData* zero = source.find(base + ".zero_point");
        if (scale && zero && scale->template values<float>() &&
            zero->template values<std::int32_t>())
          current = QuantParams{scale->template values<float>()[0],
                                zero->template values<std::int32_t>()[0]};
      }
      output_params_.push_back(current);
    });
  }

  // Allocated on first use (without zeroing: binding fills every byte), so that listing costs
  // allocates nothing. The arena holds the plan and each extra thread's scratch.
  typename Net::Weights& weights() {
    if (!weights_) weights_.reset(new typename Net::Weights);
    return *weights_;
  }
  Net network() {
    const std::size_t bytes = Net::arena_bytes_for(threads_);
    if (!arena_) arena_.reset(new (std::align_val_t(tensor_alignment)) std::byte[bytes]);
    return Net(std::as_const(weights()).span(), std::span<std::byte>(arena_.get(), bytes),
               pool_.get());
  }

  std::unique_ptr<typename Net::Weights> weights_;
  std::unique_ptr<std::byte[], AlignedDelete> arena_;
  int threads_ = 1;
  std::unique_ptr<runtime::ThreadPool> pool_;
  std::vector<QuantParams> output_params_;
};

/// What quantizing a zoo model takes: the float weights (a file, or deterministic ones when null),
/// the calibration inputs (H, W, C float each) and how ranges are taken. progress(done, total) is
/// called after each input.
struct QuantizeRequest {
  io::SafetensorsFile* float_weights = nullptr;
  unsigned seed = 1;
  std::vector<const float*> inputs;
  quant::CalibrationOptions options{};
  std::function<void(std::size_t, std::size_t)> progress;
};

/// The int8 tensors of Net (docs/quantization.md): float weights bound, the calibration run, the
/// weights quantized. The float model is made and freed here.
template <class Net>
Status quantize_model(QuantizeRequest& request, io::TensorStore& out) {
  ZooModel<Net> model;
  auto float_weights = std::make_unique<typename Net::Weights>();
  // The float PyTorch tensors, from the file or made deterministically.
  io::TensorStore deterministic;
  if (request.float_weights == nullptr) {
    Net::visit([&](const NodeInfo& node) {
      for (const TensorSpec& spec : node.tensors) {
        const std::string name(
            tensor_name(node.path, node.part_names[spec.part], spec.name).view());
        auto* values = reinterpret_cast<float*>(deterministic.add(
            name, DType::f32,
            std::vector<std::int64_t>(spec.dims.begin(), spec.dims.begin() + spec.rank)));
        for (std::size_t i = 0; i < spec.elements(); ++i)
          values[i] = deterministic_value(request.seed, spec, name, i);
      }
    });
  }
  Status status = request.float_weights ? bind_weights<Net>(*request.float_weights, *float_weights)
                                        : bind_weights<Net>(deterministic, *float_weights);
  if (!status.ok()) return status;
  quant::Calibrator<Net> calibrator(std::as_const(*float_weights).span(), request.options);
  for (std::size_t i = 0; i < request.inputs.size(); ++i) {
    status = calibrator.add(
        std::span<const float, Net::input::size>(request.inputs[i], Net::input::size));
    if (!status.ok()) return status;
    if (request.progress) request.progress(i + 1, request.inputs.size());
  }
  io::TensorStore params;
  if (status = calibrator.write_params(params); !status.ok()) return status;
  return request.float_weights ? quant::quantize_weights<Net>(*request.float_weights, params, out)
                               : quant::quantize_weights<Net>(deterministic, params, out);
}

/// Weights a model carries inside the command (a safetensors file's bytes, compiled in), used
/// when no --weights is given; `source` says where in the repository they come from.
struct ShippedWeights {
  std::span<const unsigned char> bytes;
  std::string_view source;
};

struct ZooEntry {
  std::string name;
  std::function<std::unique_ptr<Model>()> make;
  std::function<std::unique_ptr<Model>()> make_int8;
  std::function<std::unique_ptr<Model>()> make_int8_edges;
  std::function<Status(QuantizeRequest&, io::TensorStore&)> quantize;
  /// Trained weights of the models that have them (the Fashion-MNIST networks): float, and int8
  /// from joule quantize.
  std::optional<ShippedWeights> shipped_float;
  std::optional<ShippedWeights> shipped_int8;
};

template <class Net>
ZooEntry zoo_entry(std::string name) {
  ZooEntry entry;
  entry.name = std::move(name);
  entry.make = [] { return std::unique_ptr<Model>(std::make_unique<ZooModel<Net>>()); };
  entry.make_int8 = [] {
    return std::unique_ptr<Model>(std::make_unique<ZooModel<quant::Quantized<Net>>>());
  };
  entry.make_int8_edges = [] {
    using Q8 = quant::Quantized<Net, quant::Edges::int8>;
    return std::unique_ptr<Model>(std::make_unique<ZooModel<Q8>>());
  };
  entry.quantize = [](QuantizeRequest& request, io::TensorStore& out) {
    return quantize_model<Net>(request, out);
  };
  return entry;
}

/// An X of the zoo registry (joule/models/registry.hpp), expanded where `zoo` is the list to fill.
#define JOULE_CLI_ZOO_ENTRY(name, resolution, pytorch, ...) \
  zoo.push_back(zoo_entry<__VA_ARGS__>(name));

void add_mobilenet_v1(std::vector<ZooEntry>& zoo);
void add_mobilenet_v2_v3(std::vector<ZooEntry>& zoo);
void add_efficientnet(std::vector<ZooEntry>& zoo);
/// The Fashion-MNIST teacher and student (examples/fashion), with their trained weights.
void add_fashion(std::vector<ZooEntry>& zoo);

/// Every model: the zoo registry's (joule/models/registry.hpp), in its order, then the
/// Fashion-MNIST networks.
inline const std::vector<ZooEntry>& zoo() {
  static const std::vector<ZooEntry> entries = [] {
    std::vector<ZooEntry> all;
    add_mobilenet_v1(all);
    add_mobilenet_v2_v3(all);
    add_efficientnet(all);
    add_fashion(all);
    return all;
  }();
  return entries;
}

}  // namespace joule::cli
