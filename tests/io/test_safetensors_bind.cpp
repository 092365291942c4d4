// End to end: bind_weights from a SafetensorsFile gives the same packed weights as from the test
// suite's own source, with F16 tensors converted, BatchNorm's step counter ignored, and integer
// tensors a network needs refused by name.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../support/tensor_table.hpp"
#include "io_test_support.hpp"
#include "joule/io/safetensors.hpp"
#include "joule/joule.hpp"

using namespace joule;
using Catch::Matchers::Contains;
using io::SafetensorsFile;

namespace {

using Net = Network<Shape<4, 4, 3>, Conv2d<8, 3, 2, ReLU6>, GlobalAvgPool, Linear<2>>;

const std::vector<std::string> net_tensors = {"0.0.weight", "0.1.weight",  "0.1.bias", "0.1.running_mean",
                                              "0.1.running_var", "2.weight", "2.bias"};

/// The network's tensors as F32 entries in torchvision's order, plus BatchNorm's I64 counter.
std::vector<iotest::Entry> entries_for(testing::TensorTable& table) {
  std::vector<iotest::Entry> entries;
  for (const std::string& name : net_tensors) {
    const TensorData* data = table.find(name);
    REQUIRE(data != nullptr);
    entries.push_back({name, "F32", std::vector<std::int64_t>(data->dims.begin(), data->dims.begin() + data->rank),
                       iotest::float_bytes(table.values(name))});
    if (name == "0.1.running_var")
      entries.push_back({"0.1.num_batches_tracked", "I64", {}, iotest::i64_bytes({1234})});
  }
  return entries;
}

bool same_weights(const Net::Weights& a, const Net::Weights& b) {
  return std::memcmp(a.data, b.data, sizeof a.data) == 0;
}

}  // namespace

TEST_CASE("bind_weights from a safetensors file packs the same weights as from a table", "[io][bind]") {
  testing::TensorTable table = testing::TensorTable::deterministic_for<Net>(77);
  // The test network takes exactly these tensors: if the names drift, this test must notice.
  CHECK(table.names().size() == net_tensors.size());

  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries_for(table), {{"format", "pt"}}), file).ok());
  auto from_file = std::make_unique<Net::Weights>();
  auto from_table = std::make_unique<Net::Weights>();
  const Status status = bind_weights<Net>(file, *from_file);
  INFO(status.message());
  REQUIRE(status.ok());
  REQUIRE(bind_weights<Net>(table, *from_table).ok());
  CHECK(same_weights(*from_file, *from_table));
  // Every tensor was used; the I64 step counter is left out by design.
  CHECK(file.unused().empty());

  // And the network runs on them.
  auto arena = std::make_unique<Net::Arena>();
  Net net(*from_file, *arena);
  std::vector<float> input(Net::input::size, 0.5f), output(Net::output::size, -1.0f);
  net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
              std::span<float, Net::output::size>(output.data(), output.size()));
  CHECK(std::isfinite(output[0]));
  CHECK(std::isfinite(output[1]));
}

TEST_CASE("bind_weights converts float16 tensors from a safetensors file", "[io][bind]") {
  testing::TensorTable table = testing::TensorTable::deterministic_for<Net>(78);
  // Values exactly representable in float16, so both sources hold the same numbers.
  std::vector<float>& var = table.values("0.1.running_var");
  std::vector<std::uint16_t> halves;
  for (std::size_t i = 0; i < var.size(); ++i) {
    var[i] = 0.5f + 0.0625f * float(i);  // 0.5, 0.5625, ... 0.9375
    halves.push_back(static_cast<std::uint16_t>(0x3800 + 0x80 * i));  // the same in float16
  }
  std::vector<iotest::Entry> entries = entries_for(table);
  for (iotest::Entry& entry : entries) {
    if (entry.name != "0.1.running_var") continue;
    entry.dtype = "F16";
    entry.bytes.clear();
    for (std::uint16_t h : halves) {
      entry.bytes.push_back(static_cast<unsigned char>(h & 0xff));
      entry.bytes.push_back(static_cast<unsigned char>(h >> 8));
    }
  }
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries), file).ok());
  auto from_file = std::make_unique<Net::Weights>();
  auto from_table = std::make_unique<Net::Weights>();
  REQUIRE(bind_weights<Net>(file, *from_file).ok());
  REQUIRE(bind_weights<Net>(table, *from_table).ok());
  CHECK(same_weights(*from_file, *from_table));
}

TEST_CASE("bind_weights names an integer tensor the network needs, and unused() lists extras", "[io][bind]") {
  testing::TensorTable table = testing::TensorTable::deterministic_for<Net>(79);
  std::vector<iotest::Entry> entries = entries_for(table);
  for (iotest::Entry& entry : entries) {
    if (entry.name != "0.1.running_mean") continue;
    entry.dtype = "I64";
    entry.bytes = iotest::i64_bytes({0, 0, 0, 0, 0, 0, 0, 0});
  }
  entries.push_back({"head.extra", "F32", {1}, iotest::float_bytes({1})});
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries), file).ok());
  auto weights = std::make_unique<Net::Weights>();
  const Status status = bind_weights<Net>(file, *weights);
  CHECK(status.code() == ErrorCode::type_mismatch);
  CHECK_THAT(std::string(status.message()), Contains("tensor '0.1.running_mean' has dtype I64"));
  CHECK(file.unused() == std::vector<std::string>{"head.extra"});
}

TEST_CASE("bind_weights reports a tensor missing from a safetensors file", "[io][bind]") {
  testing::TensorTable table = testing::TensorTable::deterministic_for<Net>(80);
  std::vector<iotest::Entry> entries = entries_for(table);
  std::erase_if(entries, [](const iotest::Entry& entry) { return entry.name == "2.bias"; });
  SafetensorsFile file;
  REQUIRE(SafetensorsFile::parse(iotest::make_safetensors(entries), file).ok());
  auto weights = std::make_unique<Net::Weights>();
  const Status status = bind_weights<Net>(file, *weights);
  CHECK(status.code() == ErrorCode::not_found);
  CHECK_THAT(std::string(status.message()), Contains("missing tensor '2.bias', expected shape [2]"));
}
