// Running a network in a test: bind random (or given) weights, run on an input, compare.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "joule/graph/bind.hpp"
#include "naive.hpp"
#include "tensor_table.hpp"

namespace testing {

template <class Net>
class Harness {
 public:
  explicit Harness(TensorTable& table)
      : weights_(std::make_unique<typename Net::Weights>()), arena_(std::make_unique<typename Net::Arena>()) {
    const joule::Status status = joule::bind_weights<Net>(table, *weights_);
    INFO(status.message());
    REQUIRE(status.ok());
  }

  std::vector<float> run(const std::vector<float>& input) {
    REQUIRE(input.size() == Net::input::size);
    Net net(*weights_, *arena_);
    std::vector<float> output(Net::output::size);
    net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
                std::span<float, Net::output::size>(output.data(), output.size()));
    return output;
  }
  const typename Net::Weights& weights() const { return *weights_; }

 private:
  std::unique_ptr<typename Net::Weights> weights_;
  std::unique_ptr<typename Net::Arena> arena_;
};

/// Largest |actual - expected| relative to max(1, largest |expected|).
inline double relative_error(const std::vector<float>& actual, const naive::Tensor& expected) {
  REQUIRE(actual.size() == expected.size());
  double scale = 1.0;
  double worst = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    scale = std::max(scale, std::abs(expected.values[i]));
    worst = std::max(worst, std::abs(double(actual[i]) - expected.values[i]));
  }
  return worst / scale;
}

inline double relative_error(const std::vector<float>& actual, const std::vector<float>& expected) {
  REQUIRE(actual.size() == expected.size());
  double scale = 1.0;
  double worst = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    scale = std::max(scale, double(std::abs(expected[i])));
    worst = std::max(worst, std::abs(double(actual[i]) - double(expected[i])));
  }
  return worst / scale;
}

/// float accumulation against a double oracle over at most a few thousand terms.
inline constexpr double tolerance = 2e-5;

}  // namespace testing
