// The joule command: list the zoo, report a model's costs, run it on a weights file and an input,
// time it, turn its weights into a C++ header, quantize it to int8, compare int8 with fp32.
//
//   joule list [--costs]
//   joule info MODEL [--precision int8] [--json] [--energy-table T.json]
//   joule run MODEL --weights W.safetensors --input X.npy --output Y.npy [--threads N]
//             [--precision int8 [--calibration DIR_OR_NPY [--percentile P]]]
//             (int8: an int8 X.npy gives int8 logits in Y.npy, with their quantization printed)
//   joule bench MODEL [--threads N] [--runs N] [--json | --layers] [--energy]
//             [--energy-table T.json] [--precision int8 [--weights W] [--calibration DIR_OR_NPY]]
//   joule header MODEL --weights W.safetensors --output OUT.hpp [--name IDENTIFIER]
//             [--precision int8 [--calibration DIR_OR_NPY]]
//   joule quantize MODEL --weights W.safetensors --calibration DIR_OR_NPY --output Q.safetensors
//             [--percentile P]
//   joule compare MODEL --weights W.safetensors --input X.npy (--calibration DIR_OR_NPY |
//   --quantized Q)
//   joule eval MODEL --dataset DIR [--split test|train] [--limit N] [--json] [--threads N]
//             [--precision int8 [--calibration DIR_OR_NPY]] [--weights W]
//
// --weights may be left out for the models that ship trained weights (fashion_teacher,
// fashion_student): theirs are compiled in, int8 ones too where the model has them.
//
// Exit status: 0 on success, 2 on a usage error, 1 on any other error, always with a one-line
// message on stderr. Nothing a file contains may crash it.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "energy_bench.hpp"
#include "energy_table.hpp"
#include "idx_dataset.hpp"
#include "joule/io/npy.hpp"
#include "joule/io/tensor_store_file.hpp"
#include "model.hpp"

namespace joule::cli {
namespace {

constexpr int exit_usage = 2;
constexpr int exit_failure = 1;

/// Ends a command: the one-line message on stderr and the exit status.
struct Failure {
  int code;
  std::string message;
};

const ZooEntry& find_model(const std::string& name) {
  for (const ZooEntry& entry : zoo())
    if (entry.name == name) return entry;
  throw Failure{exit_usage, "unknown model '" + name + "' (joule list shows every model)"};
}

void check_threads(int threads) {
  if (threads < 1) throw Failure{exit_usage, "--threads must be at least 1"};
  if (threads > 256) throw Failure{exit_usage, "--threads must be at most 256"};
}

nlohmann::json shape_json(Extent e) { return nlohmann::json::array({e.height, e.width, e.channels}); }

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

std::string extent_text(Extent e) {
  return std::to_string(e.height) + "x" + std::to_string(e.width) + "x" +
         std::to_string(e.channels);
}

/// What the options say about precision: --precision, and where int8 tensors come from.
struct PrecisionOptions {
  std::string precision = "f32";
  std::string calibration;  // a directory of .npy files or one .npy (N, H, W, C)
  double percentile = 100.0;

  bool int8() const { return precision == "int8"; }
};

void check_precision(const PrecisionOptions& p) {
  if (p.precision != "f32" && p.precision != "int8")
    throw Failure{exit_usage, "--precision must be f32 or int8, not '" + p.precision + "'"};
  if (!p.int8() && !p.calibration.empty())
    throw Failure{exit_usage, "--calibration goes with --precision int8"};
  if (!(p.percentile > 50.0 && p.percentile <= 100.0))
    throw Failure{exit_usage, "--percentile must be above 50 and at most 100"};
}

io::SafetensorsFile open_weights(const std::string& path) {
  io::SafetensorsFile file;
  if (Status s = io::SafetensorsFile::load(path, file); !s.ok()) throw Failure{exit_failure, std::string(s.message())};
  return file;
}

/// A file of int8 tensors in joule's quantized format (joule quantize, tools/export.py
/// --quantized).
bool is_quantized(const io::SafetensorsFile& file) {
  const auto found = file.metadata().find("joule.quantized");
  return found != file.metadata().end() && found->second == "int8";
}

/// The options binding takes from a file's metadata: a network quantized with its ReLU6 replaced by
/// ReLU (torchvision's quantizable MobileNetV2) clamps them as ReLU.
BindOptions bind_options(const io::SafetensorsFile& file) {
  BindOptions options;
  const auto found = file.metadata().find("joule.relu6");
  options.pack.relu6_as_relu = found != file.metadata().end() && found->second == "relu";
  return options;
}

void note_unused(const io::SafetensorsFile& file, const std::string& model_name,
                 const std::string& path) {
  const std::vector<std::string> unused = file.unused();
  if (unused.empty()) return;
  std::string names;
  for (std::size_t i = 0; i < unused.size() && i < 8; ++i) {
    Text<300> name;  // names come from the file: keep the line printable
    io::detail::append_quoted(name, unused[i]);
    names += (i ? ", " : "") + std::string(name.view());
  }
  if (unused.size() > 8) names += ", ...";
  std::fprintf(stderr, "joule: note: %zu tensors in %s are not used by %s: %s\n", unused.size(),
               path.c_str(), model_name.c_str(), names.c_str());
}

/// Weights to bind: a file given with --weights, or the ones the model ships with; `label` names
/// them in messages (the path, or the shipped file's place in the repository).
struct WeightsFile {
  io::SafetensorsFile file;
  std::string label;
};

/// The shipped weights for int8 (if the model has int8 ones) or float.
const std::optional<ShippedWeights>& shipped_weights(const ZooEntry& entry, bool int8) {
  return int8 && entry.shipped_int8 ? entry.shipped_int8 : entry.shipped_float;
}

/// The weights a command binds when it is given `weights` (a path, or empty): that file; else the
/// model's shipped weights (int8 ones when `int8` and the model has them, else float ones); else
/// none (deterministic weights, where the command allows them).
std::optional<WeightsFile> choose_weights(const ZooEntry& entry, const std::string& weights,
                                          bool int8) {
  if (!weights.empty()) return WeightsFile{open_weights(weights), weights};
  const std::optional<ShippedWeights>& shipped = shipped_weights(entry, int8);
  if (!shipped) return std::nullopt;
  WeightsFile chosen;
  chosen.label = std::string(shipped->source) + " (compiled into joule)";
  std::vector<unsigned char> bytes(shipped->bytes.begin(), shipped->bytes.end());
  if (Status s = io::SafetensorsFile::parse(std::move(bytes), chosen.file); !s.ok())
    throw Failure{exit_failure, chosen.label + ": " + std::string(s.message())};
  return chosen;
}

/// A command that needs trained weights has them: a file given, or the model's shipped ones.
void require_weights(const ZooEntry& entry, const std::string& weights) {
  if (weights.empty() && !entry.shipped_float) {
    throw Failure{exit_usage, entry.name +
                                  " ships no trained weights: give --weights "
                                  "W.safetensors (the models that ship them: fashion_*)"};
  }
}

void load_weights(Model& model, const std::string& model_name, WeightsFile& weights) {
  if (is_quantized(weights.file) && model.precision() != DType::i8) {
    throw Failure{
        exit_failure,
        weights.label + " holds int8 weights (joule quantize); run it with --precision int8"};
  }
  if (Status s = model.bind(weights.file, bind_options(weights.file)); !s.ok())
    throw Failure{exit_failure, weights.label + ": " + std::string(s.message())};
  note_unused(weights.file, model_name, weights.label);
}

/// Calibration inputs: every .npy of a directory (each (H, W, C), (1, H, W, C) or (N, H, W, C)),
/// or one .npy (N, H, W, C); float32, the model's input shape, finite.
std::vector<std::vector<float>> load_calibration(const std::string& path, Extent in,
                                                 const std::string& model_name) {
  std::vector<std::string> files;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    for (const auto& item : std::filesystem::directory_iterator(path, error))
      if (item.path().extension() == ".npy") files.push_back(item.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw Failure{exit_failure, "calibration directory " + path + " holds no .npy files"};
  } else {
    files.push_back(path);
  }
  const std::vector<std::int64_t> hwc{in.height, in.width, in.channels};
  std::vector<std::vector<float>> inputs;
  for (const std::string& file : files) {
    io::NpyArray array;
    if (Status s = io::read_npy(file, array); !s.ok())
      throw Failure{exit_failure, std::string(s.message())};
    const bool batch = array.shape.size() == 4 &&
                       std::vector<std::int64_t>(array.shape.begin() + 1, array.shape.end()) == hwc;
    if (array.type != io::NpyArray::Type::float32 || !(batch || array.shape == hwc)) {
      throw Failure{exit_failure, file + ": calibration input of " +
                                      (array.type == io::NpyArray::Type::float32
                                           ? "shape " + shape_text(array.shape)
                                           : std::string("dtype int8")) +
                                      ", " + model_name + " takes float32 " +
                                      shape_text({-1, in.height, in.width, in.channels}) + " or " +
                                      shape_text(hwc) + " (NHWC)"};
    }
    for (std::size_t i = 0; i < array.floats.size(); ++i) {
      if (!std::isfinite(array.floats[i])) {
        throw Failure{
            exit_failure,
            file + ": calibration input has a non-finite value at element " + std::to_string(i)};
      }
    }
    const std::size_t count = batch ? static_cast<std::size_t>(array.shape[0]) : 1;
    for (std::size_t n = 0; n < count; ++n) {
      inputs.emplace_back(array.floats.begin() + static_cast<std::ptrdiff_t>(n * in.size()),
                          array.floats.begin() + static_cast<std::ptrdiff_t>((n + 1) * in.size()));
    }
  }
  if (inputs.empty()) throw Failure{exit_failure, path + ": no calibration inputs (a batch of 0)"};
  return inputs;
}

/// Random calibration inputs, N(0, 1), when a timing run is given none.
std::vector<std::vector<float>> random_calibration(Extent in, std::size_t count) {
  std::vector<std::vector<float>> inputs(count, std::vector<float>(in.size()));
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  for (auto& input : inputs) {
    for (float& v : input) {
      // Box-Muller from a 64-bit LCG: deterministic on every standard library.
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const double u1 = (static_cast<double>(state >> 11) + 1.0) / 9007199254740993.0;
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const double u2 = static_cast<double>(state >> 11) / 9007199254740992.0;
      v = static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }
  }
  return inputs;
}

/// The int8 tensors of a model from float weights (deterministic when none) and a calibration (a
/// path, or random inputs when empty), with a progress line on stderr.
io::TensorStore quantize(const ZooEntry& entry, std::optional<WeightsFile>& weights,
                         const PrecisionOptions& p) {
  const auto probe = entry.make();
  const std::vector<std::vector<float>> inputs =
      p.calibration.empty() ? random_calibration(probe->input(), 4)
                            : load_calibration(p.calibration, probe->input(), entry.name);
  if (weights && is_quantized(weights->file)) {
    throw Failure{exit_usage, weights->label +
                                  " holds int8 weights already; give float weights to quantize, "
                                  "or leave out --calibration"};
  }
  QuantizeRequest request;
  request.float_weights = weights ? &weights->file : nullptr;
  for (const auto& input : inputs) request.inputs.push_back(input.data());
  request.options.percentile = p.percentile;
  const bool terminal = isatty(fileno(stderr)) != 0;
  request.progress = [&](std::size_t done, std::size_t total) {
    std::fprintf(stderr, "%scalibrating %s: %zu/%zu inputs%s", terminal ? "\r" : "",
                 entry.name.c_str(), done, total, terminal && done < total ? "" : "\n");
  };
  io::TensorStore store;
  if (Status s = entry.quantize(request, store); !s.ok()) {
    throw Failure{exit_failure,
                  (weights ? weights->label + ": " : std::string()) + std::string(s.message())};
  }
  if (weights) note_unused(weights->file, entry.name, weights->label);
  return store;
}

/// The model in the precision asked for, its weights bound: from a file (float, or int8 already
/// quantized), else the model's shipped weights, else deterministic ones; int8 from float weights
/// calibrates (a --calibration with no --weights quantizes the shipped float weights).
/// `int8_edges`: the int8 network that takes and gives int8 tensors.
std::unique_ptr<Model> prepare(const ZooEntry& entry, const std::string& weights,
                               const PrecisionOptions& p, bool random_calibration_allowed,
                               bool int8_edges = false) {
  check_precision(p);
  std::optional<WeightsFile> chosen =
      choose_weights(entry, weights, p.int8() && p.calibration.empty());
  if (!p.int8()) {
    auto model = entry.make();
    if (!chosen) {
      if (Status s = model->randomize(1); !s.ok())
        throw Failure{exit_failure, std::string(s.message())};
    } else {
      load_weights(*model, entry.name, *chosen);
    }
    return model;
  }
  auto model = int8_edges ? entry.make_int8_edges() : entry.make_int8();
  if (chosen) {
    if (is_quantized(chosen->file)) {
      if (!p.calibration.empty())
        throw Failure{
            exit_usage,
            chosen->label +
                " is quantized already (int8 weights and parameters): leave out --calibration"};
      if (Status s = model->bind(chosen->file, bind_options(chosen->file)); !s.ok())
        throw Failure{exit_failure, chosen->label + ": " + std::string(s.message())};
      note_unused(chosen->file, entry.name, chosen->label);
      return model;
    }
    if (p.calibration.empty() && !random_calibration_allowed) {
      throw Failure{exit_usage, chosen->label +
                                    " holds float weights: int8 needs --calibration DIR_OR_NPY, or "
                                    "a file from joule quantize"};
    }
  }
  const io::TensorStore store = quantize(entry, chosen, p);
  if (Status s = model->bind(store, BindOptions{}); !s.ok())
    throw Failure{exit_failure, std::string(s.message())};
  return model;
}

int command_list(bool costs) {
  if (!costs) {
    for (const ZooEntry& entry : zoo()) std::printf("%s\n", entry.name.c_str());
    return 0;
  }
  std::printf("%-24s %-11s %12s %16s %12s %12s\n", "model", "input", "params", "MACs", "weights MiB", "arena MiB");
  for (const ZooEntry& entry : zoo()) {
    const auto model = entry.make();
    std::printf("%-24s %-11s %12llu %16llu %12.1f %12.1f\n", entry.name.c_str(),
                extent_text(model->input()).c_str(),
                static_cast<unsigned long long>(model->cost().params),
                static_cast<unsigned long long>(model->cost().macs),
                model->weight_bytes() / 1048576.0, model->arena_bytes() / 1048576.0);
  }
  return 0;
}

/// The energy table of info and bench: the default, or --energy-table FILE over it.
struct EnergyChoice {
  energy::EnergyTable table = energy::horowitz_45nm;
  std::string name = "horowitz_45nm";
};

EnergyChoice energy_choice(const std::string& path) {
  EnergyChoice choice;
  if (path.empty()) return choice;
  std::string error;
  if (!read_energy_table(path, choice.table, error)) throw Failure{exit_failure, error};
  choice.name = path;
  return choice;
}

/// A leaf's estimated energy as Net::energy(table) adds it up: the weights of the whole network
/// set their level.
energy::Energy layer_energy(const Model& model, const NodeInfo& node, const EnergyChoice& e) {
  return energy::estimate(node.cost, node.input_dtype, model.weight_bytes(), e.table);
}

nlohmann::json energy_json(const energy::Energy& e) {
  return {{"compute", e.compute_pj},
          {"weights", e.weights_pj},
          {"activations", e.activations_pj},
          {"total", e.total_pj()}};
}

std::string weights_level(const Model& model, const EnergyChoice& e) {
  return std::string(energy::name_of(energy::level_of(model.weight_bytes(), e.table)));
}

/// After the report: the estimated energy per inference, where it goes, and the layers that take
/// the most of it.
void print_energy(const Model& model, const EnergyChoice& e) {
  const energy::Energy total = model.energy(e.table);
  const double all = total.total_pj();
  const auto share = [&](double pj) { return all > 0 ? 100.0 * pj / all : 0.0; };
  std::printf(
      "estimated energy: %.1f uJ per inference (compute %.0f%%, weights %.0f%% from %s, "
      "activations %.0f%%; table %s, docs/energy.md)\n",
      total.total_uj(), share(total.compute_pj), share(total.weights_pj),
      weights_level(model, e).c_str(), share(total.activations_pj), e.name.c_str());
  std::vector<std::pair<double, std::string>> layers;
  model.visit([&](const NodeInfo& node) {
    if (node.leaf)
      layers.emplace_back(layer_energy(model, node, e).total_pj(), std::string(node.path));
  });
  std::sort(layers.begin(), layers.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string most;
  for (std::size_t i = 0; i < layers.size() && i < 3; ++i) {
    if (i > 0) most += ", ";
    most += layers[i].second;
    most += ' ';
    most += std::to_string(static_cast<int>(std::lround(share(layers[i].first))));
    most += '%';
  }
  std::printf("most energy: %s\n", most.c_str());
}

int command_info(const std::string& name, const PrecisionOptions& p, bool json,
                 const std::string& energy_table) {
  check_precision(p);
  if (!p.calibration.empty())
    throw Failure{exit_usage, "info takes no --calibration: costs do not depend on weights"};
  const ZooEntry& entry = find_model(name);
  const EnergyChoice choice = energy_choice(energy_table);
  const auto model = p.int8() ? entry.make_int8() : entry.make();
  if (!json) {
    model->report(
        [](std::string_view line) {
          std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
        },
        choice.table);
    print_energy(*model, choice);
    return 0;
  }
  nlohmann::json layers = nlohmann::json::array();
  model->visit([&](const NodeInfo& node) {
    if (!node.leaf) return;
    layers.push_back({{"name", node.path},
                      {"type", node.kind},
                      {"description", node.description},
                      {"kernel", node.kernel},
                      {"input_shape", shape_json(node.input)},
                      {"output_shape", shape_json(node.output)},
                      {"input_dtype", name_of(node.input_dtype)},
                      {"output_dtype", name_of(node.output_dtype)},
                      {"params", node.cost.params},
                      {"macs", node.cost.macs},
                      {"elementwise_adds", node.cost.elementwise.adds},
                      {"elementwise_multiplies", node.cost.elementwise.multiplies},
                      {"weight_bytes", node.cost.weight_bytes},
                      {"activation_read_bytes", node.cost.activation_read_bytes},
                      {"activation_write_bytes", node.cost.activation_write_bytes},
                      {"energy_pj", energy_json(layer_energy(*model, node, choice))}});
  });
  const Cost cost = model->cost();
  nlohmann::json energy_total = energy_json(model->energy(choice.table));
  energy_total["method"] = "estimate";
  energy_total["table"] = choice.name;
  energy_total["weights_level"] = weights_level(*model, choice);
  const nlohmann::json info = {{"model", name},
                               {"precision", p.precision},
                               {"simd_target", arch::name},
                               {"params", cost.params},
                               {"macs", cost.macs},
                               {"elementwise_adds", cost.elementwise.adds},
                               {"elementwise_multiplies", cost.elementwise.multiplies},
                               {"weight_bytes", model->weight_bytes()},
                               {"arena_bytes", model->arena_bytes()},
                               {"activation_read_bytes", cost.activation_read_bytes},
                               {"activation_write_bytes", cost.activation_write_bytes},
                               {"energy_pj", energy_total},
                               {"energy_table", energy_table_json(choice.table)},
                               {"input_shape", shape_json(model->input())},
                               {"output_shape", shape_json(model->output())},
                               {"layers", layers}};
  std::printf("%s\n", info.dump().c_str());
  return 0;
}

/// The index of element `flat` of an array of `shape` in C order, as "(n, h, w, c)".
std::string index_text(const std::vector<std::int64_t>& shape, std::size_t flat) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t axis = shape.size(); axis-- > 0;) {
    const auto extent = static_cast<std::size_t>(shape[axis]);
    index[axis] = static_cast<std::int64_t>(flat % extent);
    flat /= extent;
  }
  return shape_text(index);
}

/// An input of `joule run` and `joule compare`: float32 (or int8 where `int8_allowed`), NHWC with
/// the model's height, width and channels, with the batch axis or without, and finite. Each
/// refusal names what the model takes. `batch` says how many inputs it holds.
io::NpyArray read_input(const std::string& name, Extent in, const std::string& input_path,
                        std::size_t& batch, bool int8_allowed = false) {
  const std::vector<std::int64_t> hwc{in.height, in.width, in.channels};
  const std::vector<std::int64_t> nhwc{1, in.height, in.width, in.channels};
  std::string takes = name + " takes float32 ";
  if (int8_allowed) takes += "(or int8) ";
  takes += shape_text(nhwc) + " or " + shape_text(hwc) + " (NHWC; a batch (N, " +
           std::to_string(in.height) + ", " + std::to_string(in.width) + ", " +
           std::to_string(in.channels) + ") runs N inputs)";
  io::NpyArray input;
  if (Status s = io::read_npy(input_path, input); !s.ok()) {
    std::string message(s.message());
    if (s.code() == ErrorCode::type_mismatch) message += "; " + takes;
    throw Failure{exit_failure, message};
  }
  if (input.type != io::NpyArray::Type::float32 && !int8_allowed) {
    throw Failure{exit_failure, input_path + ": the input is int8 " + shape_text(input.shape) +
                                    ", " + takes +
                                    "; int8 inputs go with joule run --precision int8"};
  }
  const bool batched = input.shape.size() == 4 && input.shape[0] > 0 &&
                       std::vector<std::int64_t>(input.shape.begin() + 1, input.shape.end()) == hwc;
  if (input.shape != hwc && !batched) {
    throw Failure{exit_failure,
                  input_path + ": the input has shape " + shape_text(input.shape) + ", " + takes};
  }
  batch = batched ? static_cast<std::size_t>(input.shape[0]) : 1;
  // A NaN or an infinity would spread through every layer into an output that looks like an
  // answer: refuse the input and say where the first one is.
  const auto bad = std::find_if(input.floats.begin(), input.floats.end(),
                                [](float x) { return !std::isfinite(x); });
  if (bad != input.floats.end()) {
    const auto flat = static_cast<std::size_t>(bad - input.floats.begin());
    const std::string what = std::isnan(*bad) ? "NaN" : *bad > 0 ? "+inf" : "-inf";
    throw Failure{exit_failure, input_path + ": element " + index_text(input.shape, flat) +
                                    " (flat index " + std::to_string(flat) + ") is " + what + "; " +
                                    name + " takes finite values (NaN and infinities are refused)"};
  }
  return input;
}

/// Runs `model` on each of `batch` inputs and writes the (N, classes) outputs, of type T.
template <class T>
void run_batch(Model& model, const std::vector<T>& input, std::size_t batch,
               const std::string& output_path) {
  const std::size_t in = model.input().size();
  const std::size_t out = model.output().size();
  std::vector<T> output(batch * out);
  for (std::size_t n = 0; n < batch; ++n) model.run(input.data() + n * in, output.data() + n * out);
  const std::vector<std::int64_t> output_shape{static_cast<std::int64_t>(batch),
                                               static_cast<std::int64_t>(out)};
  if (Status s = io::write_npy(output_path, std::span<const T>(output), output_shape); !s.ok()) {
    throw Failure{exit_failure, std::string(s.message())};
  }
}

/// An int8 input (int8 in, int8 out) runs the int8 network without its float edges and says which
/// quantization the input must have and the logits have.
int command_run(const std::string& name, const std::string& weights, const std::string& input_path,
                const std::string& output_path, int threads, const PrecisionOptions& p) {
  check_threads(threads);
  const ZooEntry& entry = find_model(name);
  require_weights(entry, weights);
  const Extent in = entry.make()->input();
  // The input first: it is small, and a wrong one should not wait for the weights to load.
  std::size_t batch = 0;
  const io::NpyArray input = read_input(name, in, input_path, batch, p.int8());
  const bool int8_edges = input.type == io::NpyArray::Type::int8;
  const auto model = prepare(entry, weights, p, false, int8_edges);
  model->set_threads(threads);
  if (!int8_edges) {
    run_batch(*model, input.floats, batch, output_path);
    return 0;
  }
  run_batch(*model, input.int8s, batch, output_path);
  const EdgeQuantization q = model->edge_quantization().value();
  std::printf(
      "int8 in and out: the input is read with scale %.9g zero point %d, the logits in %s have "
      "scale %.9g zero point %d (real = scale x (q - zero point))\n",
      static_cast<double>(q.input.scale), static_cast<int>(q.input.zero_point), output_path.c_str(),
      static_cast<double>(q.output.scale), static_cast<int>(q.output.zero_point));
  return 0;
}

/// Median time of every leaf layer over `runs` timed runs, with its kernel and share of the total.
void print_layer_profile(Model& model, int runs, const EnergyChoice& energy_table) {
  std::vector<std::vector<double>> samples;
  for (int i = 0; i < runs; ++i) {
    const std::vector<double> seconds = model.profile();
    if (samples.empty()) samples.resize(seconds.size());
    for (std::size_t l = 0; l < seconds.size() && l < samples.size(); ++l) samples[l].push_back(seconds[l]);
  }
  std::vector<double> medians;
  double total = 0.0;
  for (auto& layer : samples) {
    std::sort(layer.begin(), layer.end());
    medians.push_back(layer[layer.size() / 2]);
    total += medians.back();
  }
  std::printf("%-26s %-42s %-16s %12s %10s %9s %6s %12s\n", "layer", "kernel", "output", "MACs",
              "median us", "GOP/s", "share", "est. nJ");
  std::size_t index = 0;
  model.visit([&](const NodeInfo& node) {
    if (!node.leaf || index >= medians.size()) return;
    const double seconds = medians[index++];
    std::printf("%-26.*s %-42.*s %-16s %12llu %10.1f %9.1f %5.1f%% %12.1f\n",
                static_cast<int>(node.path.size()), node.path.data(),
                static_cast<int>(node.kernel.size()), node.kernel.data(),
                extent_text(node.output).c_str(), static_cast<unsigned long long>(node.cost.macs),
                seconds * 1e6, 2.0 * static_cast<double>(node.cost.macs) / seconds * 1e-9,
                100.0 * seconds / total, layer_energy(model, node, energy_table).total_pj() * 1e-3);
  });
  std::printf("sum of layer medians: %.3f ms\n", total * 1e3);
}

int command_bench(const std::string& name, const std::string& weights, int threads, int runs,
                  bool json, bool layers, bool energy, const PrecisionOptions& p,
                  const std::string& energy_table) {
  check_threads(threads);
  if (runs < 1) throw Failure{exit_usage, "--runs must be at least 1"};
  if (layers && json)
    throw Failure{exit_usage, "--layers prints a table; it does not combine with --json"};
  if (layers && energy)
    throw Failure{exit_usage,
                  "--energy measures whole inferences; it does not combine with --layers"};
  if (!layers && !energy && !energy_table.empty())
    throw Failure{exit_usage, "--energy-table goes with --layers or --energy (their estimates)"};
  const EnergyChoice choice = energy_choice(energy_table);
  const auto model = prepare(find_model(name), weights, p, true);
  model->set_threads(threads);
  if (layers) {
    model->profile();  // warm-up
    print_layer_profile(*model, runs, choice);
    return 0;
  }
  std::vector<float> input(model->input().size(), 0.5f), output(model->output().size());
  model->run(input.data(), output.data());  // warm-up: page in weights and arena

  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    model->run(input.data(), output.data());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  const double median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
  const double gops = 2.0 * static_cast<double>(model->cost().macs) / (median * 1e6);
  // Measured energy (and the estimate) after the timing: runs at least --runs times.
  EnergyBench energy_bench;
  if (energy) {
    auto infer = [&] { model->run(input.data(), output.data()); };
    energy_bench =
        bench_energy(infer, runs, model->energy(choice.table).total_uj() * 1e-6, choice.name);
    if (!energy_bench.note.empty())
      std::fprintf(stderr, "joule: note: %s\n", energy_bench.note.c_str());
  }
  if (json) {
    nlohmann::json result = {
        {"model", name},       {"precision", p.precision},   {"threads", threads},
        {"runs", runs},        {"min_ms", ms.front()},       {"median_ms", median},
        {"max_ms", ms.back()}, {"macs", model->cost().macs}, {"gflops", gops}};
    if (energy) result["energy"] = energy_bench.json;
    std::printf("%s\n", result.dump().c_str());
  } else {
    std::printf(
        "%s (%s): median %.3f ms, min %.3f ms, max %.3f ms over %d runs, %d thread%s, %.2f GOP/s\n",
        name.c_str(), p.precision.c_str(), median, ms.front(), ms.back(), runs, threads,
        threads == 1 ? "" : "s", gops);
    for (const std::string& line : energy_bench.lines) std::printf("%s\n", line.c_str());
  }
  return 0;
}

std::string default_identifier(const std::string& model) {
  std::string identifier;
  for (char c : model) identifier += (c == '.' || c == '-') ? '_' : c;
  return identifier + "_weights";
}

int command_header(const std::string& name, const std::string& weights,
                   const std::string& output_path, std::string identifier,
                   const PrecisionOptions& p) {
  if (identifier.empty()) identifier = default_identifier(name);
  if (!io::is_identifier(identifier)) throw Failure{exit_usage, "--name '" + identifier + "' is not a C++ identifier"};
  const ZooEntry& entry = find_model(name);
  require_weights(entry, weights);
  const auto model = prepare(entry, weights, p, false);
  std::ofstream out(output_path, std::ios::binary);
  if (!out) throw Failure{exit_failure, "cannot write " + output_path};
  const std::string description =
      "joule header " + name + (p.int8() ? " --precision int8" : "") + " from " +
      (weights.empty() ? std::string(entry.shipped_float->source) : weights);
  if (Status s = model->write_header(out, identifier, description); !s.ok()) {
    throw Failure{exit_failure, std::string(s.message())};
  }
  out.close();
  if (!out) throw Failure{exit_failure, "writing " + output_path + " failed"};
  return 0;
}

int command_quantize(const std::string& name, const std::string& weights,
                     const std::string& output_path, const PrecisionOptions& given) {
  PrecisionOptions p = given;
  p.precision = "int8";
  check_precision(p);
  if (p.calibration.empty()) throw Failure{exit_usage, "quantize needs --calibration DIR_OR_NPY"};
  const ZooEntry& entry = find_model(name);
  require_weights(entry, weights);
  std::optional<WeightsFile> chosen = choose_weights(entry, weights, false);
  const io::TensorStore store = quantize(entry, chosen, p);
  // Checked as `joule run` will bind it.
  if (Status s = entry.make_int8()->bind(store, BindOptions{}); !s.ok())
    throw Failure{exit_failure, std::string(s.message())};
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {"joule.model", name},
      {"joule.quantized", "int8"},
      {"joule.source", "joule quantize from " + chosen->label},
      {"joule.calibration",
       p.calibration +
           (p.percentile < 100.0 ? ", percentile " + std::to_string(p.percentile) : "")}};
  if (Status s = io::write_tensor_store(output_path, store, metadata); !s.ok()) {
    throw Failure{exit_failure, std::string(s.message())};
  }
  return 0;
}

/// Per layer, the int8 network's output against the float network's: max |difference| and cosine.
int command_compare(const std::string& name, const std::string& weights,
                    const std::string& input_path, const std::string& quantized,
                    const PrecisionOptions& given, bool json) {
  PrecisionOptions p = given;
  p.precision = "int8";
  check_precision(p);
  if (quantized.empty() == p.calibration.empty())
    throw Failure{exit_usage,
                  "compare needs one of --calibration DIR_OR_NPY and --quantized Q.safetensors"};
  const ZooEntry& entry = find_model(name);
  require_weights(entry, weights);
  const auto float_model = prepare(entry, weights, PrecisionOptions{}, false);
  const auto int8_model = prepare(entry, quantized.empty() ? weights : quantized, p, false);
  std::size_t batch = 0;
  const io::NpyArray input = read_input(name, float_model->input(), input_path, batch);
  if (batch != 1)
    throw Failure{exit_failure, input_path + ": compare takes one input, not a batch"};
  const std::vector<LayerOutput> reference = float_model->capture(input.floats.data());
  std::vector<LayerOutput> quantized_layers;
  for (LayerOutput& layer : int8_model->capture(input.floats.data()))
    if (layer.kind != "Quantize" && layer.kind != "Dequantize")
      quantized_layers.push_back(std::move(layer));
  if (quantized_layers.size() != reference.size())
    throw Failure{exit_failure, "internal: the int8 and float networks have different layers"};
  nlohmann::json rows = nlohmann::json::array();
  if (!json)
    std::printf("%-28s %-18s %14s %14s %10s\n", "layer", "type", "max |fp32|", "max |int8-fp32|",
                "cosine");
  for (std::size_t l = 0; l < reference.size(); ++l) {
    const std::vector<float>& a = reference[l].values;
    const std::vector<float>& b = quantized_layers[l].values;
    double largest = 0, worst = 0, dot = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      largest = std::max(largest, std::abs(double(a[i])));
      worst = std::max(worst, std::abs(double(a[i]) - b[i]));
      dot += double(a[i]) * b[i];
      aa += double(a[i]) * a[i];
      bb += double(b[i]) * b[i];
    }
    const double cosine = aa > 0 && bb > 0 ? dot / std::sqrt(aa * bb) : (aa == bb ? 1.0 : 0.0);
    if (json) {
      rows.push_back({{"name", reference[l].path},
                      {"type", reference[l].kind},
                      {"max_abs_fp32", largest},
                      {"max_abs_error", worst},
                      {"cosine", cosine}});
    } else {
      std::printf("%-28s %-18s %14.5g %14.5g %10.6f\n",
                  reference[l].path.empty() ? "-" : reference[l].path.c_str(),
                  reference[l].kind.c_str(), largest, worst, cosine);
    }
  }
  if (json) std::printf("%s\n", nlohmann::json{{"model", name}, {"layers", rows}}.dump().c_str());
  return 0;
}

/// A classifier's accuracy on a labelled image dataset in IDX files (as MNIST and Fashion-MNIST
/// ship), each image given as pixel / 255, with its latency and costs beside it.
int command_eval(const std::string& name, const std::string& weights, const std::string& dataset,
                 const std::string& split, std::size_t limit, int threads,
                 const PrecisionOptions& p, bool json) {
  check_threads(threads);
  check_precision(p);
  if (split != "test" && split != "train")
    throw Failure{exit_usage, "--split must be test or train, not '" + split + "'"};
  const ZooEntry& entry = find_model(name);
  require_weights(entry, weights);
  const Extent in = entry.make()->input();
  const std::size_t classes = entry.make()->output().size();
  IdxDataset data;
  if (std::string error = read_idx_dataset(dataset, split, data); !error.empty())
    throw Failure{exit_failure, error};
  if (data.height != static_cast<std::size_t>(in.height) ||
      data.width != static_cast<std::size_t>(in.width) || in.channels != 1) {
    throw Failure{exit_failure, dataset + ": the images are " + std::to_string(data.height) + "x" +
                                    std::to_string(data.width) + " grayscale, " + name + " takes " +
                                    extent_text(in)};
  }
  const auto top_label = std::max_element(data.labels.begin(), data.labels.end());
  if (top_label != data.labels.end() && *top_label >= classes) {
    throw Failure{exit_failure, dataset + ": label " + std::to_string(*top_label) + " at image " +
                                    std::to_string(top_label - data.labels.begin()) + ", " + name +
                                    " has " + std::to_string(classes) + " classes"};
  }
  const auto model = prepare(entry, weights, p, false);
  model->set_threads(threads);
  const std::size_t images = limit > 0 ? std::min(limit, data.count) : data.count;
  std::vector<float> input(in.size()), logits(classes);
  std::vector<double> ms;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < images; ++i) {
    const std::uint8_t* pixels = data.images.data() + i * in.size();
    for (std::size_t k = 0; k < in.size(); ++k) input[k] = static_cast<float>(pixels[k]) / 255.0f;
    const auto start = std::chrono::steady_clock::now();
    model->run(input.data(), logits.data());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    const auto predicted = std::max_element(logits.begin(), logits.end()) - logits.begin();
    correct += static_cast<std::size_t>(predicted) == data.labels[i];
  }
  std::sort(ms.begin(), ms.end());
  const double median_ms = ms.empty() ? 0.0 : ms[ms.size() / 2];
  const double accuracy =
      images ? 100.0 * static_cast<double>(correct) / static_cast<double>(images) : 0.0;
  const std::string source =
      weights.empty()
          ? std::string(shipped_weights(entry, p.int8() && p.calibration.empty())->source)
          : weights;
  const Cost cost = model->cost();
  const double energy_uj = model->energy(energy::horowitz_45nm).total_uj();
  if (json) {
    const nlohmann::json result = {
        {"model", name},
        {"precision", p.precision},
        {"weights", source},
        {"dataset", dataset},
        {"split", split},
        {"images", images},
        {"correct", correct},
        {"accuracy", accuracy},
        {"median_ms", median_ms},
        {"threads", threads},
        {"params", cost.params},
        {"macs", cost.macs},
        {"weight_bytes", model->weight_bytes()},
        {"arena_bytes", model->arena_bytes()},
        {"energy_uj", {{"total", energy_uj}, {"method", "estimate"}, {"table", "horowitz_45nm"}}}};
    std::printf("%s\n", result.dump().c_str());
    return 0;
  }
  std::printf("%s (%s, weights %s): accuracy %.2f%% (%zu of %zu %s images)\n", name.c_str(),
              p.precision.c_str(), source.c_str(), accuracy, correct, images, split.c_str());
  std::printf(
      "latency %.3f ms per image (median, %d thread%s); params %llu, MACs %llu, weights "
      "%zu B, arena %zu B; estimated energy %.2f uJ per image (horowitz_45nm)\n",
      median_ms, threads, threads == 1 ? "" : "s", static_cast<unsigned long long>(cost.params),
      static_cast<unsigned long long>(cost.macs), model->weight_bytes(), model->arena_bytes(),
      energy_uj);
  return 0;
}

int run_command_line(int argc, char** argv) {
  CLI::App app{
      "joule: the model zoo of the joule library: costs, inference, timing, weights headers, int8",
      "joule"};
  app.require_subcommand(1);
  std::string model, weights, input, output, name, quantized;
  bool json = false;
  int threads = 1;
  int runs = 10;
  PrecisionOptions precision;
  const auto add_precision = [&](CLI::App* command, bool calibration) {
    command->add_option("--precision", precision.precision, "f32 (default) or int8");
    if (calibration) {
      command->add_option(
          "--calibration", precision.calibration,
          "int8 from float weights: a directory of .npy inputs or one (N,H,W,C) .npy");
      command->add_option("--percentile", precision.percentile,
                          "calibration ranges at this percentile (default 100: min/max)");
    }
  };

  bool costs = false;
  CLI::App* list = app.add_subcommand("list", "print every model name, one per line");
  list->add_flag("--costs", costs, "a table of every model's parameters, MACs and memory instead");
  CLI::App* info = app.add_subcommand("info", "per-layer costs and totals of a model");
  info->add_option("model", model, "model name")->required();
  info->add_flag("--json", json, "one JSON object instead of the table");
  std::string energy_table;
  info->add_option("--energy-table", energy_table,
                   "JSON of energy figures over the default table (docs/energy.md)");
  add_precision(info, false);
  CLI::App* run = app.add_subcommand("run", "run a model on an input with weights from a safetensors file");
  run->add_option("model", model, "model name")->required();
  run->add_option("--weights", weights,
                  "safetensors: torchvision state_dict names, or int8 from joule quantize "
                  "(default: the model's own, for the models that ship weights)");
  run->add_option("--input", input,
                  "float32 .npy, NHWC (1,H,W,3), (H,W,3) or a batch (N,H,W,3), finite values; "
                  "with --precision int8 also int8 (int8 in and out)")
      ->required();
  run->add_option("--output", output,
                  ".npy to write, (N, classes): float32, int8 for an int8 input")
      ->required();
  run->add_option("--threads", threads, "worker threads");
  add_precision(run, true);
  CLI::App* bench =
      app.add_subcommand("bench", "time a model (deterministic weights unless --weights)");
  bench->add_option("model", model, "model name")->required();
  bench->add_option("--weights", weights, "safetensors weights (default: deterministic ones)");
  bench->add_option("--threads", threads, "worker threads");
  bench->add_option("--runs", runs, "timed runs after one warm-up run");
  bench->add_flag("--json", json, "one JSON object instead of a line");
  bool layers = false;
  bench->add_flag("--layers", layers, "time every layer and print a table (median over the runs)");
  bench->add_option("--energy-table", energy_table,
                    "with --layers or --energy: JSON of energy figures over the default table");
  bool energy = false;
  bench->add_flag("--energy", energy,
                  "measure joules per inference with the machine's energy counter (RAPL, perf) "
                  "beside the estimate (docs/energy.md)");
  add_precision(bench, true);
  CLI::App* header = app.add_subcommand("header", "write a model's folded, packed weights as a C++ header");
  header->add_option("model", model, "model name")->required();
  header->add_option("--weights", weights,
                     "safetensors with torchvision state_dict names (or int8; default: the "
                     "model's own, for the models that ship weights)");
  header->add_option("--output", output, "header file to write")->required();
  header->add_option("--name", name, "C++ identifier of the array (default: <model>_weights)");
  add_precision(header, true);
  CLI::App* quantize_command =
      app.add_subcommand("quantize", "calibrate a model and write its int8 weights");
  quantize_command->add_option("model", model, "model name")->required();
  quantize_command->add_option(
      "--weights", weights,
      "float safetensors weights (default: the model's own, if it ships them)");
  quantize_command
      ->add_option("--calibration", precision.calibration,
                   "a directory of .npy inputs or one (N,H,W,C) .npy")
      ->required();
  quantize_command
      ->add_option("--output", output, "safetensors to write (joule's quantized format)")
      ->required();
  quantize_command->add_option("--percentile", precision.percentile,
                               "calibration ranges at this percentile");
  CLI::App* compare =
      app.add_subcommand("compare", "per layer, the int8 network's output against the float one's");
  compare->add_option("model", model, "model name")->required();
  compare->add_option("--weights", weights,
                      "float safetensors weights (default: the model's own, if it ships them)");
  compare->add_option("--input", input, "float32 .npy, one input")->required();
  compare->add_option("--quantized", quantized,
                      "int8 weights from joule quantize or tools/export.py --quantized");
  compare->add_option("--calibration", precision.calibration, "or calibrate on these inputs");
  compare->add_option("--percentile", precision.percentile,
                      "calibration ranges at this percentile");
  compare->add_option("--precision", precision.precision,
                      "int8 (the only precision compared with fp32)");
  compare->add_flag("--json", json, "one JSON object instead of the table");
  std::string dataset, split = "test";
  std::size_t limit = 0;
  CLI::App* eval = app.add_subcommand(
      "eval", "accuracy on a labelled image dataset (IDX files, as Fashion-MNIST ships)");
  eval->add_option("model", model, "model name")->required();
  eval->add_option("--dataset", dataset,
                   "directory of the IDX files (t10k-images-idx3-ubyte[.gz] and its labels)")
      ->required();
  eval->add_option("--split", split, "test (default) or train");
  eval->add_option("--limit", limit, "the first N images only (default: all)");
  eval->add_option("--weights", weights, "safetensors weights (default: the model's own)");
  eval->add_option("--threads", threads, "worker threads");
  eval->add_flag("--json", json, "one JSON object instead of two lines");
  add_precision(eval, true);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& error) {
    // A usage error: CLI11's own message, on one line.
    std::string message = error.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::fprintf(stderr, "joule: %s (joule --help)\n", message.c_str());
    return exit_usage;
  }

  try {
    if (app.got_subcommand("list")) return command_list(costs);
    if (app.got_subcommand("info")) return command_info(model, precision, json, energy_table);
    if (app.got_subcommand("run"))
      return command_run(model, weights, input, output, threads, precision);
    if (app.got_subcommand("bench"))
      return command_bench(model, weights, threads, runs, json, layers, energy, precision,
                           energy_table);
    if (app.got_subcommand("header"))
      return command_header(model, weights, output, name, precision);
    if (app.got_subcommand("quantize")) return command_quantize(model, weights, output, precision);
    if (app.got_subcommand("eval"))
      return command_eval(model, weights, dataset, split, limit, threads, precision, json);
    if (app.got_subcommand("compare")) {
      if (precision.precision == "f32") precision.precision = "int8";
      return command_compare(model, weights, input, quantized, precision, json);
    }
  } catch (const Failure& failure) {
    std::fprintf(stderr, "joule: %s\n", failure.message.c_str());
    return failure.code;
  }
  return exit_usage;
}

}  // namespace
}  // namespace joule::cli

int main(int argc, char** argv) {
  try {
    return joule::cli::run_command_line(argc, argv);
  } catch (const std::exception& error) {
    // Out of memory for a model's weights and arena, say.
    std::fprintf(stderr, "joule: %s\n", error.what());
    return 1;
  }
}
