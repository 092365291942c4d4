// The joule command: list the zoo, report a model's costs, run it on a weights file and an input,
// time it, or turn its weights into a C++ header.
//
//   joule list [--costs]
//   joule info MODEL [--json]
//   joule run MODEL --weights W.safetensors --input X.npy --output Y.npy [--threads N]
//   joule bench MODEL [--threads N] [--runs N] [--json | --layers]
//   joule header MODEL --weights W.safetensors --output OUT.hpp [--name IDENTIFIER]
//
// Exit status: 0 on success, 2 on a usage error, 1 on any other error, always with a one-line
// message on stderr. Nothing a file contains may crash it.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "joule/io/npy.hpp"
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

void load_weights(Model& model, const std::string& model_name, const std::string& path) {
  io::SafetensorsFile file;
  if (Status s = io::SafetensorsFile::load(path, file); !s.ok()) throw Failure{exit_failure, std::string(s.message())};
  if (Status s = model.bind(file); !s.ok()) {
    throw Failure{exit_failure, path + ": " + std::string(s.message())};
  }
  const std::vector<std::string> unused = file.unused();
  if (!unused.empty()) {
    std::string names;
    for (std::size_t i = 0; i < unused.size() && i < 8; ++i) {
      Text<300> name;  // names come from the file: keep the line printable
      io::detail::append_quoted(name, unused[i]);
      names += (i ? ", " : "") + std::string(name.view());
    }
    if (unused.size() > 8) names += ", ...";
    std::fprintf(stderr, "joule: note: %zu tensors in %s are not used by %s: %s\n", unused.size(), path.c_str(),
                 model_name.c_str(), names.c_str());
  }
}

int command_list(bool costs) {
  if (!costs) {
    for (const ZooEntry& entry : zoo()) std::printf("%s\n", entry.name.c_str());
    return 0;
  }
  std::printf("%-24s %-11s %12s %16s %12s %12s\n", "model", "input", "params", "MACs", "weights MiB", "arena MiB");
  for (const ZooEntry& entry : zoo()) {
    const auto model = entry.make();
    const Extent in = model->input();
    const std::string input = std::to_string(in.height) + "x" + std::to_string(in.width) + "x" +
                              std::to_string(in.channels);
    std::printf("%-24s %-11s %12llu %16llu %12.1f %12.1f\n", entry.name.c_str(), input.c_str(),
                static_cast<unsigned long long>(model->cost().params),
                static_cast<unsigned long long>(model->cost().macs), model->weight_bytes() / 1048576.0,
                model->arena_bytes() / 1048576.0);
  }
  return 0;
}

int command_info(const std::string& name, bool json) {
  const auto model = find_model(name).make();
  if (!json) {
    model->report([](std::string_view line) { std::printf("%.*s\n", static_cast<int>(line.size()), line.data()); });
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
                      {"params", node.cost.params},
                      {"macs", node.cost.macs},
                      {"weight_bytes", node.cost.weight_bytes},
                      {"activation_read_bytes", node.cost.activation_read_bytes},
                      {"activation_write_bytes", node.cost.activation_write_bytes}});
  });
  const Cost cost = model->cost();
  const nlohmann::json info = {{"model", name},
                               {"simd_target", arch::name},
                               {"params", cost.params},
                               {"macs", cost.macs},
                               {"weight_bytes", model->weight_bytes()},
                               {"arena_bytes", model->arena_bytes()},
                               {"activation_read_bytes", cost.activation_read_bytes},
                               {"activation_write_bytes", cost.activation_write_bytes},
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

/// The input of `joule run`: float32, NHWC with the model's height, width and channels, with or
/// without the batch axis of 1, and finite. Each refusal names what the model takes.
io::NpyArray read_input(const std::string& name, const Model& model,
                        const std::string& input_path) {
  const Extent in = model.input();
  const std::vector<std::int64_t> hwc{in.height, in.width, in.channels};
  const std::vector<std::int64_t> nhwc{1, in.height, in.width, in.channels};
  const std::string takes =
      name + " takes float32 " + shape_text(nhwc) + " or " + shape_text(hwc) + " (NHWC)";
  io::NpyArray input;
  if (Status s = io::read_npy(input_path, input); !s.ok()) {
    std::string message(s.message());
    if (s.code() == ErrorCode::type_mismatch) message += "; " + takes;
    throw Failure{exit_failure, message};
  }
  if (input.type != io::NpyArray::Type::float32) {
    throw Failure{exit_failure,
                  input_path + ": the input is int8 " + shape_text(input.shape) + ", " + takes};
  }
  if (input.shape != hwc && input.shape != nhwc) {
    throw Failure{exit_failure,
                  input_path + ": the input has shape " + shape_text(input.shape) + ", " + takes};
  }
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

int command_run(const std::string& name, const std::string& weights, const std::string& input_path,
                const std::string& output_path, int threads) {
  check_threads(threads);
  const auto model = find_model(name).make();
  model->set_threads(threads);
  // The input first: it is small, and a wrong one should not wait for the weights to load.
  const io::NpyArray input = read_input(name, *model, input_path);
  load_weights(*model, name, weights);

  const Extent out = model->output();
  std::vector<float> output(out.size());
  model->run(input.floats.data(), output.data());
  const std::vector<std::int64_t> output_shape{1, static_cast<std::int64_t>(out.size())};
  if (Status s = io::write_npy(output_path, output, output_shape); !s.ok()) {
    throw Failure{exit_failure, std::string(s.message())};
  }
  return 0;
}

/// Median time of every leaf layer over `runs` timed runs, with its kernel and share of the total.
void print_layer_profile(Model& model, int runs) {
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
  std::printf("%-26s %-34s %-16s %12s %10s %9s %6s\n", "layer", "kernel", "output", "MACs", "median us", "GFLOP/s",
              "share");
  std::size_t index = 0;
  model.visit([&](const NodeInfo& node) {
    if (!node.leaf || index >= medians.size()) return;
    const double seconds = medians[index++];
    const std::string output = std::to_string(node.output.height) + "x" + std::to_string(node.output.width) + "x" +
                               std::to_string(node.output.channels);
    std::printf("%-26.*s %-34.*s %-16s %12llu %10.1f %9.1f %5.1f%%\n", static_cast<int>(node.path.size()),
                node.path.data(), static_cast<int>(node.kernel.size()), node.kernel.data(), output.c_str(),
                static_cast<unsigned long long>(node.cost.macs), seconds * 1e6,
                2.0 * static_cast<double>(node.cost.macs) / seconds * 1e-9, 100.0 * seconds / total);
  });
  std::printf("sum of layer medians: %.3f ms\n", total * 1e3);
}

int command_bench(const std::string& name, int threads, int runs, bool json, bool layers) {
  check_threads(threads);
  if (runs < 1) throw Failure{exit_usage, "--runs must be at least 1"};
  const auto model = find_model(name).make();
  model->set_threads(threads);
  model->randomize(1);
  if (layers) {
    if (json) throw Failure{exit_usage, "--layers prints a table; it does not combine with --json"};
    model->profile();  // warm-up
    print_layer_profile(*model, runs);
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
  const double gflops = 2.0 * static_cast<double>(model->cost().macs) / (median * 1e6);
  if (json) {
    const nlohmann::json result = {{"model", name},        {"threads", threads},       {"runs", runs},
                                   {"min_ms", ms.front()}, {"median_ms", median},      {"max_ms", ms.back()},
                                   {"macs", model->cost().macs}, {"gflops", gflops}};
    std::printf("%s\n", result.dump().c_str());
  } else {
    std::printf("%s: median %.3f ms, min %.3f ms, max %.3f ms over %d runs, %d thread%s, %.2f GFLOP/s\n", name.c_str(),
                median, ms.front(), ms.back(), runs, threads, threads == 1 ? "" : "s", gflops);
  }
  return 0;
}

std::string default_identifier(const std::string& model) {
  std::string identifier;
  for (char c : model) identifier += (c == '.' || c == '-') ? '_' : c;
  return identifier + "_weights";
}

int command_header(const std::string& name, const std::string& weights, const std::string& output_path,
                   std::string identifier) {
  if (identifier.empty()) identifier = default_identifier(name);
  if (!io::is_identifier(identifier)) throw Failure{exit_usage, "--name '" + identifier + "' is not a C++ identifier"};
  const auto model = find_model(name).make();
  load_weights(*model, name, weights);
  std::ofstream out(output_path, std::ios::binary);
  if (!out) throw Failure{exit_failure, "cannot write " + output_path};
  const std::string description = "joule header " + name + " from " + weights;
  if (Status s = model->write_header(out, identifier, description); !s.ok()) {
    throw Failure{exit_failure, std::string(s.message())};
  }
  out.close();
  if (!out) throw Failure{exit_failure, "writing " + output_path + " failed"};
  return 0;
}

int run_command_line(int argc, char** argv) {
  CLI::App app{"joule: the model zoo of the joule library: costs, inference, timing, weights headers", "joule"};
  app.require_subcommand(1);
  std::string model, weights, input, output, name;
  bool json = false;
  int threads = 1;
  int runs = 10;

  bool costs = false;
  CLI::App* list = app.add_subcommand("list", "print every model name, one per line");
  list->add_flag("--costs", costs, "a table of every model's parameters, MACs and memory instead");
  CLI::App* info = app.add_subcommand("info", "per-layer costs and totals of a model");
  info->add_option("model", model, "model name")->required();
  info->add_flag("--json", json, "one JSON object instead of the table");
  CLI::App* run = app.add_subcommand("run", "run a model on an input with weights from a safetensors file");
  run->add_option("model", model, "model name")->required();
  run->add_option("--weights", weights, "safetensors file with torchvision state_dict names")->required();
  run->add_option("--input", input, "float32 .npy, NHWC (1,H,W,3) or (H,W,3), finite values")
      ->required();
  run->add_option("--output", output, "float32 .npy to write, (1, classes)")->required();
  run->add_option("--threads", threads, "worker threads");
  CLI::App* bench = app.add_subcommand("bench", "time a model (random weights)");
  bench->add_option("model", model, "model name")->required();
  bench->add_option("--threads", threads, "worker threads");
  bench->add_option("--runs", runs, "timed runs after one warm-up run");
  bench->add_flag("--json", json, "one JSON object instead of a line");
  bool layers = false;
  bench->add_flag("--layers", layers, "time every layer and print a table (median over the runs)");
  CLI::App* header = app.add_subcommand("header", "write a model's folded, packed weights as a C++ header");
  header->add_option("model", model, "model name")->required();
  header->add_option("--weights", weights, "safetensors file with torchvision state_dict names")->required();
  header->add_option("--output", output, "header file to write")->required();
  header->add_option("--name", name, "C++ identifier of the array (default: <model>_weights)");

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
    if (app.got_subcommand("info")) return command_info(model, json);
    if (app.got_subcommand("run")) return command_run(model, weights, input, output, threads);
    if (app.got_subcommand("bench")) return command_bench(model, threads, runs, json, layers);
    if (app.got_subcommand("header")) return command_header(model, weights, output, name);
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
