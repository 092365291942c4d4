// A header written by tools/to_cpp.py, run against PyTorch: the network's weights bound by name
// from the safetensors file beside the header, the golden case's input run, the output compared
// with PyTorch's within 1e-4 of its largest value (testing::relative_error, as every parity test).
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "../support/harness.hpp"
#include "joule/io/npy.hpp"
#include "joule/io/safetensors.hpp"
#include "joule/joule.hpp"

namespace testing {

/// name: the generated files' stem (JOULE_TO_CPP_DIR/name.safetensors,
/// JOULE_TO_CPP_DIR/name/*.npy).
template <class Net>
void check_generated_parity(const std::string& name) {
  const std::string stem = std::string(JOULE_TO_CPP_DIR) + "/" + name;
  joule::io::SafetensorsFile file;
  const joule::Status loaded = joule::io::SafetensorsFile::load(stem + ".safetensors", file);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
  auto weights = std::make_unique<typename Net::Weights>();
  const joule::Status bound = joule::bind_weights<Net>(file, *weights);
  INFO(bound.message());
  REQUIRE(bound.ok());

  joule::io::NpyArray input, expected;
  REQUIRE(joule::io::read_npy(stem + "/input.npy", input).ok());
  REQUIRE(joule::io::read_npy(stem + "/expected.npy", expected).ok());
  REQUIRE(input.floats.size() == Net::input::size);
  REQUIRE(expected.floats.size() == Net::output::size);

  auto arena = std::make_unique<typename Net::Arena>();
  Net net(*weights, *arena);
  std::vector<float> output(Net::output::size);
  net.forward(std::span<const float, Net::input::size>(input.floats.data(), Net::input::size),
              std::span<float, Net::output::size>(output.data(), output.size()));
  const double error = relative_error(output, expected.floats);
  INFO("relative error " << error);
  CHECK(error <= 1e-4);
}

/// Two network types cost the same: parameters, MACs, bytes, packed weights and arena.
template <class A, class B>
constexpr bool same_costs() {
  return A::cost.params == B::cost.params && A::cost.macs == B::cost.macs &&
         A::cost.weight_bytes == B::cost.weight_bytes &&
         A::cost.activation_read_bytes == B::cost.activation_read_bytes &&
         A::cost.activation_write_bytes == B::cost.activation_write_bytes &&
         A::weight_bytes == B::weight_bytes && A::arena_bytes == B::arena_bytes;
}

}  // namespace testing
